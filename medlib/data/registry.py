"""The single registry of every dataset the study knows about.

One :class:`DatasetSpec` per dataset holds everything the rest of medlib needs:
the paper's name and class counts (Table 1 of Apostolopoulos et al. 2022),
modality and task, preprocessing (s2.2), where the data comes from, under what
terms, and which index adapter turns the upstream layout into a labelled table.
Modelled on MedMNIST's ``INFO`` dictionary: adding a dataset means adding one
entry here (and, for a new upstream layout, one adapter).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DIRECT = "direct download"
REGISTRATION = "registration required"
PRIVATE = "private"


@dataclass(frozen=True)
class Augmentation:
    """Training-time augmentation of s2.2 (applied to training batches only).

    ``shift`` is a fraction of height/width; ``noise_sigma`` is the standard
    deviation of additive Gaussian noise (the paper's sigma = 0.01 ** 0.5 = 0.1) on
    images whose range is ``noise_scale``: 1 (images in [0, 1], the study's primary
    reading) or 255 (0-255 pixels, where Keras's ``ImageDataGenerator`` applies a
    ``preprocessing_function``, before ``rescale``: a sigma of 0.1 / 255 on [0, 1]).
    The paper gives no scale; :data:`READINGS` runs both.
    """

    rotation_deg: float = 0.0
    shift: float = 0.0
    noise_sigma: float = 0.0
    noise_scale: float = 1.0

    @property
    def noise_on_unit(self) -> float:
        """The noise's standard deviation on images in [0, 1]."""
        return self.noise_sigma / self.noise_scale

    @property
    def is_identity(self) -> bool:
        return not (self.rotation_deg or self.shift or self.noise_sigma)


NO_AUGMENTATION = Augmentation()
PAPER_NOISE_SIGMA = 0.01 ** 0.5


@dataclass(frozen=True)
class Source:
    """One upstream artefact: a URL with its checksum, or the steps to get it."""

    name: str
    url: str | None = None
    md5: str | None = None
    access: str = DIRECT
    archive_root: str = ""  # folder inside the archive that becomes the dataset root
    steps: str = ""  # what a user must do when it cannot be downloaded


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    paper_name: str | None  # name in the paper's Table 1, None when not in the paper
    modality: str
    task: str
    classes: tuple[str, ...]
    paper_counts: dict[str, int] | None
    image_size: tuple[int, int]  # (height, width) fed to the networks
    letterbox: bool = False  # keep aspect ratio on a black background
    augmentation: Augmentation = NO_AUGMENTATION
    sources: tuple[Source, ...] = ()
    licence: str = ""
    mirror_subdir: str | None = None  # folder name inside a data mirror
    adapter: str | None = None  # name in medlib.data.adapters.ADAPTERS
    adapter_options: dict = field(default_factory=dict)
    file_type: str = ""
    size_source: str = "paper s2.2"
    notes: str = ""
    positive_class: str | None = None  # binary tasks: the disease class (default: classes[1])
    root: str | None = None  # where it lives, for a dataset outside any mirror (a user's folder)
    components: tuple[str, ...] = ()  # registry datasets it is composed of (located when they are)
    via_size: int | None = None  # every image passes through via_size x via_size first
    stand_in_for: str | None = None  # the paper dataset this one stands in for (its claims apply)
    # DICOM intensity: "file" (the file's VOI LUT or window, else the full range), None (the full
    # range, ignoring the file's window) or (center, width) in modality units (e.g. HU)
    window: tuple[float, float] | str | None = "file"
    # a second reading of an ambiguous passage of the paper (:data:`READINGS`): the registry
    # dataset whose files and folds it shares; None for a dataset of its own
    reading_of: str | None = None
    # a second reading's rule for deciding between the readings, written before its first fold ran
    adoption_rule: str = ""

    @property
    def in_paper(self) -> bool:
        """A paper dataset or its declared stand-in: the paper's claims are checked on it."""
        return bool(self.paper_name or self.stand_in_for)

    @property
    def access(self) -> str:
        """The most restrictive access kind among the sources."""
        order = [DIRECT, REGISTRATION, PRIVATE]
        return max((s.access for s in self.sources), key=order.index, default=PRIVATE)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def positive_index(self) -> int | None:
        """Index of the class sensitivity/F1/AUC refer to in binary tasks (None: multiclass)."""
        if self.n_classes != 2:
            return None
        return self.classes.index(self.positive_class) if self.positive_class else 1


_NODULE_AUG = Augmentation(rotation_deg=10, shift=0.1, noise_sigma=PAPER_NOISE_SIGMA)
_COVCT_AUG = Augmentation(shift=0.1, noise_sigma=PAPER_NOISE_SIGMA)
_TCIA_STEPS = (
    "Download with the NBIA Data Retriever from The Cancer Imaging Archive "
    "(https://www.cancerimagingarchive.net/), accepting its data usage policy."
)

_REGISTERED: dict[str, DatasetSpec] = {}


def _register(spec: DatasetSpec) -> None:
    _REGISTERED[spec.key] = spec


_register(DatasetSpec(
    key="pet_ct", paper_name="PET/CT", modality="PET/CT, solitary pulmonary nodules",
    task="benign vs malignant SPN", classes=("benign", "malignant"),
    paper_counts={"benign": 61, "malignant": 111}, image_size=(80, 80),
    augmentation=_NODULE_AUG, file_type="DICOM", adapter="folder_of_classes",
    sources=(Source("PET/CT nodule crops", access=PRIVATE,
                    steps="Private to the paper's authors (University of Patras). Ask them; "
                          "place nodule crops as pet_ct/<class>/<image>."),),
    licence="private", notes="GE Discovery iQ3 sl16; not public."))

_register(DatasetSpec(
    key="lidc_idri", paper_name="LIDC-IDRI", modality="CT, solitary pulmonary nodules",
    task="benign vs malignant SPN", classes=("benign", "malignant"),
    paper_counts={"benign": 620, "malignant": 616}, image_size=(80, 80),
    augmentation=_NODULE_AUG, file_type="DICOM", adapter="folder_of_classes",
    sources=(Source("LIDC-IDRI", access=REGISTRATION,
                    steps=_TCIA_STEPS + " Crop the annotated nodules (the paper does not "
                    "publish its crop or malignancy-rating rule) and place them as "
                    "lidc_idri/<benign|malignant>/<nodule>.dcm."),),
    licence="CC BY 3.0 (TCIA)"))

_register(DatasetSpec(
    key="cov_x", paper_name="COV_X", modality="chest X-ray", task="7 respiratory classes",
    classes=("pulmonary oedema", "pleural effusion", "obstructive pulmonary disease",
             "pulmonary fibrosis", "covid-19", "pneumonia", "normal"),
    paper_counts={"pulmonary oedema": 293, "pleural effusion": 311,
                  "obstructive pulmonary disease": 315, "pulmonary fibrosis": 280,
                  "covid-19": 455, "pneumonia": 910, "normal": 1341},
    image_size=(200, 266), letterbox=True, augmentation=Augmentation(rotation_deg=20),
    file_type="JPEG", adapter="folder_of_classes",
    sources=(Source("COV_X composite", access=PRIVATE,
                    steps="The paper's 7-class COV_X merges several collections and was not "
                          "published as such; only its COVID-19 source (covid-chestxray) is "
                          "public: see dataset 'covid_chestxray'. Place your own composite as "
                          "cov_x/<class>/<image>."),),
    notes="266x200 (width x height) black canvas, aspect kept."))

_register(DatasetSpec(
    key="covid_chestxray", paper_name=None, modality="chest X-ray",
    task="COVID-19 vs non-COVID-19 (X-ray only)", classes=("non-covid", "covid-19"),
    paper_counts=None, image_size=(200, 266), letterbox=True,
    augmentation=Augmentation(rotation_deg=20), file_type="JPEG/PNG",
    adapter="covid_chestxray", mirror_subdir="covid-chestxray",
    sources=(Source("ieee8023/covid-chestxray-dataset",
                    url="https://github.com/ieee8023/covid-chestxray-dataset/archive/refs/heads/master.zip",
                    archive_root="covid-chestxray-dataset-master"),),
    licence="per image (metadata.csv 'license'; mostly CC BY-NC-SA 4.0, CC BY 4.0, Apache 2.0)",
    size_source="paper s2.2 (COV_X)", stand_in_for="cov_x",
    notes="The paper's reference [30]. Differs from COV_X: binary task, X-ray rows of "
          "metadata.csv only, 'todo' findings dropped, grouped by patient; the other six "
          "COV_X classes are not in this collection in usable numbers."))

_register(DatasetSpec(
    key="cov_ct", paper_name="COV_CT", modality="chest CT slices",
    task="COVID-19 vs non-COVID-19", classes=("non-covid", "covid-19"),
    paper_counts={"covid-19": 349, "non-covid": 397}, image_size=(224, 224),
    augmentation=_COVCT_AUG, file_type="PNG/JPEG", adapter="covid_ct", mirror_subdir="covid-ct",
    sources=(Source("UCSD-AI4H/COVID-CT",
                    url="https://github.com/UCSD-AI4H/COVID-CT/archive/refs/heads/master.zip",
                    archive_root="COVID-CT-master"),),
    licence="images from preprints; copyright stays with their authors; research use",
    size_source="assumed: the paper gives no size for COV_CT; 224x224 is the input size the "
                "ImageNet weights of most of its networks were trained at (a logistic probe on "
                "frozen Xception features, 10 patient-grouped folds, gave 74.9% at 200x200 and "
                "77.9% at 224x224: input size matters for off-the-shelf features)",
    notes="Patient ids from Meta/, official train/val/test split lists from Data-split/."))

_register(DatasetSpec(
    key="mosmed_ct", paper_name=None, modality="chest CT slices (MosMedData, Moscow)",
    task="COVID-19 vs non-COVID-19", classes=("non-covid", "covid-19"),
    paper_counts=None, image_size=(224, 224), augmentation=_COVCT_AUG,
    file_type="JPEG", adapter="mosmed", mirror_subdir="mosmed-ct",
    sources=(Source("Coronavirus-Visualization-Team/CVT_COVID-CT-CNN (new_data/)",
                    url="https://github.com/Coronavirus-Visualization-Team/CVT_COVID-CT-CNN/archive/refs/heads/master.zip",
                    archive_root="CVT_COVID-CT-CNN-master/new_data"),),
    licence="MosMedData terms (non-commercial research)", size_source="as COV_CT",
    notes="CT-0 = no COVID-19 findings; CT-1..CT-4 = COVID-19 of increasing severity. "
          "No patient ids in this export: slices cannot be grouped by patient."))

_register(DatasetSpec(
    key="cells", paper_name="Cells", modality="microscopy (AML cytomorphology)",
    task="5 white-cell types",
    classes=("eosinophil", "lymphocyte", "monocyte", "myeloblast", "neutrophil"),
    paper_counts={"eosinophil": 424, "lymphocyte": 3937, "monocyte": 1789,
                  "myeloblast": 3268, "neutrophil": 4419},
    image_size=(100, 100), file_type="TIFF", adapter="folder_of_classes",
    adapter_options={"class_map": {"EOS": "eosinophil", "LYT": "lymphocyte",
                                   "MON": "monocyte", "MYB": "myeloblast",
                                   "NGS": "neutrophil"}},
    sources=(Source("AML-Cytomorphology_LMU", access=REGISTRATION,
                    steps=_TCIA_STEPS + " Keep its per-class folders (EOS, LYT, MON, MYB, NGS) "
                                        "under cells/."),),
    licence="CC BY 3.0 (TCIA)"))

# BCCD smears and their labels: shared by Cells2 (crops) and bccd_wbc (whole smears)
_BCCD_SOURCES = (
    Source("Shenggan/BCCD_Dataset",
           url="https://github.com/Shenggan/BCCD_Dataset/archive/refs/heads/master.zip",
           archive_root="BCCD_Dataset-master"),
    Source("labels.csv (Kaggle 'Blood Cell Images', dataset-master/labels.csv)", access=REGISTRATION,
           steps="Download 'Blood Cell Images' from Kaggle (account required) and copy "
                 "dataset-master/labels.csv to bccd/labels.csv."))

_register(DatasetSpec(
    key="cells2", paper_name="Cells2", modality="microscopy (blood smear, BCCD)",
    task="3 white-cell types", classes=("eosinophil", "lymphocyte", "monocyte"),
    paper_counts={"monocyte": 20, "eosinophil": 88, "lymphocyte": 34},
    image_size=(100, 100), file_type="JPEG (paper: BMP)", adapter="bccd_cells2",
    mirror_subdir="bccd",
    sources=_BCCD_SOURCES,
    licence="MIT (BCCD); labels.csv from Kaggle",
    notes="White cell cropped from each smear with its VOC box. Only images whose "
          "labels.csv category is one single type are used; if such an image has several "
          "WBC boxes the largest is taken."))

CELLS2_TASK_RULE = (
    "Written 2026-12-07 and amended the same day, both before any fold of this reading ran (the first "
    "version counted the paper's number inside a task's interval as a reproduction; at 14 test images "
    "a fold the interval is about +-20 points wide, so a network a little above its floor would have "
    "'reproduced' the paper). For each of FF-VGG19, Xception and MobileNetV2 from scratch, on the Cells2 "
    "folds both tasks ran (training seeds averaged within a fold; the same 14-image test folds for all "
    "three networks, so they are not independent replications), each task's mean accuracy gets a "
    "Nadeau-Bengio corrected 95 % interval, set against the paper's Table 7 number +-5 points (the "
    "study's tolerance for a reproduced number): the task REPRODUCES it where the interval lies wholly "
    "inside that band, is REJECTED where wholly outside, and is undecided otherwise (or without an "
    "interval: fewer than 3 shared folds, or no spread). WHOLE SMEARS are the paper's task when they "
    "reproduce for at least 2 of the 3 networks and the crops for none; WHITE-CELL CROPS in the mirror "
    "case; NEITHER when both tasks are rejected for at least 2 networks. Otherwise INCONCLUSIVE. The "
    "verdict is interim until every network has the registered design on both tasks (5 folds x 2 "
    "seeds). Runs at their floor are outcomes (every Cells2 number of the paper is below its majority "
    "rate) and are marked. The crops' FF-VGG19 and Xception folds trained in bfloat16, the smears' in "
    "float32. Power before the run: on 142 images no number of folds confirms a number within +-5 "
    "(the corrected variance keeps n_test/n_train x s^2, about +-9 points at 60 % even with endless "
    "folds), so the design can reject the smear task, not confirm it; whatever the outcome the crops "
    "stay Table 7's primary Cells2 task (the label names the cell a crop shows).")

_register(DatasetSpec(
    key="cells2_smears", paper_name=None, modality="microscopy (whole blood smears, BCCD)",
    task="3 white-cell types, from the whole smear", classes=("eosinophil", "lymphocyte", "monocyte"),
    paper_counts=None, image_size=(100, 100), file_type="JPEG", adapter="bccd_cells2",
    adapter_options={"whole": True}, mirror_subdir="bccd", sources=_BCCD_SOURCES,
    licence="MIT (BCCD); labels.csv from Kaggle", size_source="paper s2.2 (Cells2: 100x100)",
    reading_of="cells2", adoption_rule=CELLS2_TASK_RULE,
    notes="Cells2 as the paper's counts (image-level labels 88/34/20) and its 100x100 resize read: the "
          "same smears as cells2 (one single white-cell type each), resized whole (640x480 to 100x100, "
          "aspect not kept), instead of the white cell's crop. Issue 37: which task reproduces the "
          "paper's Cells2 numbers."))

_register(DatasetSpec(
    key="leukaemia", paper_name="Leukaemia", modality="microscopy (C-NMC 2019)",
    task="cancerous vs normal cells", classes=("normal", "cancerous"),
    paper_counts={"cancerous": 8491, "normal": 4037}, image_size=(80, 80),
    file_type="BMP/JPEG", adapter="folder_of_classes",
    adapter_options={"class_map": {"hem": "normal", "all": "cancerous"}},
    sources=(Source("C-NMC 2019 (TCIA)", access=REGISTRATION,
                    steps=_TCIA_STEPS + " Place the training folds' all/ and hem/ folders "
                                        "under leukaemia/."),),
    licence="CC BY 3.0 (TCIA)"))

_register(DatasetSpec(
    key="mpip", paper_name="MPIP", modality="SPECT MPI polar maps",
    task="CAD vs normal", classes=("normal", "cad"), paper_counts={"cad": 136, "normal": 80},
    image_size=(200, 200), augmentation=Augmentation(rotation_deg=10),
    file_type="DICOM", adapter="folder_of_classes",
    sources=(Source("MPIP polar maps", access=PRIVATE,
                    steps="Private to the paper's authors. Place images as mpip/<class>/."),),
    licence="private",
    notes="The paper rotates each of four polar maps before concatenating them; with "
          "pre-concatenated images we rotate the whole image."))

_register(DatasetSpec(
    key="nv_les", paper_name="NV-LES", modality="dermoscopy", task="benign nevus vs melanoma",
    classes=("benign", "cancerous"), paper_counts={"benign": 3000, "cancerous": 3000},
    image_size=(150, 200), file_type="JPEG", adapter="folder_of_classes",
    adapter_options={"class_map": {"benign": "benign", "malignant": "cancerous"}},
    sources=(Source("Kaggle 'Skin Cancer: Malignant vs. Benign'", access=REGISTRATION,
                    steps="Download from Kaggle (account required) and merge its train/ and "
                          "test/ folders into nv_les/<benign|malignant>/."),),
    licence="Kaggle dataset terms (ISIC archive images)"))

_register(DatasetSpec(
    key="ham10000", paper_name="MNIST", modality="dermoscopy",
    task="5 skin lesion classes", classes=("akiec", "bcc", "bkl", "mel", "nv"),
    paper_counts={"akiec": 327, "bcc": 514, "bkl": 1099, "mel": 1113, "nv": 6705},
    image_size=(150, 200), file_type="JPEG", adapter="ham10000",
    sources=(Source("HAM10000 (Harvard Dataverse doi:10.7910/DVN/DBW86T)", access=REGISTRATION,
                    steps="Accept the terms on Harvard Dataverse, download HAM10000_images_part_1/2 "
                          "and HAM10000_metadata.csv into ham10000/."),),
    licence="CC BY-NC 4.0",
    notes="The paper's 'MNIST' is Skin Cancer MNIST: HAM10000. Its 5 classes leave out "
          "df and vasc; images grouped by lesion_id."))

_register(DatasetSpec(
    key="isic2018", paper_name="SKIN", modality="dermoscopy", task="benign vs melanoma",
    classes=("benign", "melanoma"), paper_counts={"benign": 1843, "melanoma": 753},
    image_size=(150, 200), file_type="JPEG", adapter="isic2018",
    sources=(Source("ISIC 2018 Task 3 training input", access=REGISTRATION,
                    steps="Download ISIC2018_Task3_Training_Input and "
                          "ISIC2018_Task3_Training_GroundTruth from the ISIC challenge site "
                          "(terms of use) into isic2018/."),),
    licence="CC BY-NC 4.0",
    notes="The paper's counts (1843 / 753) do not match ISIC 2018 Task 3 (MEL 1113); "
          "we map MEL -> melanoma and every other class -> benign and say so."))

_register(DatasetSpec(
    key="pneumoniamnist", paper_name=None, modality="chest X-ray (28x28)",
    task="pneumonia vs normal", classes=("normal", "pneumonia"), paper_counts=None,
    image_size=(80, 80), file_type="NPZ", adapter="medmnist", mirror_subdir="medmnist",
    adapter_options={"file": "pneumoniamnist.npz"},
    sources=(Source("MedMNIST v2 pneumoniamnist.npz",
                    url="https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1",
                    md5="28209eda62fecd6e6a2d98b1501bb15f"),),
    licence="CC BY 4.0", size_source="assumed: 28x28 upsampled to 80x80 (the networks' minimum)"))

_register(DatasetSpec(
    key="breastmnist", paper_name=None, modality="breast ultrasound (28x28)",
    task="malignant vs normal/benign", classes=("malignant", "normal/benign"),
    paper_counts=None, image_size=(80, 80), file_type="NPZ", adapter="medmnist",
    mirror_subdir="medmnist", adapter_options={"file": "breastmnist.npz"},
    positive_class="malignant",
    sources=(Source("MedMNIST v2 breastmnist.npz",
                    url="https://zenodo.org/records/10519652/files/breastmnist.npz?download=1",
                    md5="750601b1f35ba3300ea97c75c52ff8f6"),),
    licence="CC BY 4.0", size_source="assumed: 28x28 upsampled to 80x80 (the networks' minimum)"))

_register(DatasetSpec(
    key="bccd_wbc", paper_name=None, modality="microscopy (whole blood smears, BCCD)",
    task="white-cell type of a whole smear (localisation study)",
    classes=("eosinophil", "lymphocyte", "monocyte", "neutrophil"), paper_counts=None,
    image_size=(480, 640), file_type="JPEG", adapter="bccd_cells2", mirror_subdir="bccd",
    sources=_BCCD_SOURCES,
    licence="MIT (BCCD); labels.csv from Kaggle", size_source="BCCD's native 640x480",
    notes="Beyond both papers: every smear with one single white-cell type (Cells2's three plus "
          "neutrophils), classified whole, with the white cell's VOC box as ground truth for where "
          "the evidence should be. Load with crop=False to keep the boxes as annotations."))

_register(DatasetSpec(
    key="modality", paper_name=None, modality="several (Kim et al. 2019's modality classes)",
    task="5 imaging modalities", classes=("CT", "chest X-ray", "ultrasound", "microscopy",
                                          "statistical graph"),
    paper_counts=None, image_size=(224, 224), via_size=28, adapter="modality",
    components=("cov_ct", "mosmed_ct", "covid_chestxray", "pneumoniamnist", "breastmnist", "cells2"),
    adapter_options={"charts": 400, "sources": {
        "CT": ("cov_ct", "mosmed_ct"), "chest X-ray": ("covid_chestxray", "pneumoniamnist"),
        "ultrasound": ("breastmnist",), "microscopy": ("cells2",)}},
    sources=(Source("composed of the datasets in `components`, plus statistical graphs rendered "
                    "by medlib.data.charts",
                    steps="Nothing of its own to download: fetch its components (`python -m medlib "
                          "data`); the charts are rendered on first use."),),
    licence="those of its components (charts: generated by medlib)",
    size_source="224x224 after every image passes through 28x28 (see notes)",
    notes="Stands in for Kim et al.'s 7-class set (abdomen CT, brain MRI, cardiac ultrasound, chest "
          "X-ray, fluorescence microscopy, retinal fundus, statistical graphs). Here: chest CT (COV_CT, "
          "MosMed), chest X-ray (covid-chestxray X-rays, PneumoniaMNIST), breast ultrasound "
          "(BreastMNIST), bright-field blood-smear microscopy (whole BCCD smears), statistical graphs "
          "rendered by medlib. No fundus and no MRI offline (pydicom ships one MR image). The only "
          "ultrasound source exists at 28x28 (MedMNIST), so every image passes through 28x28 before "
          "being resized: no class can be told apart by resolution alone. Grouped by patient where "
          "the source has ids (COV_CT, covid-chestxray), else each image (or chart) is its own group."))

# The registry, read-only: nothing adds to it while running. A user's folder is a value
# (medlib.data.folder_dataset returns its spec) passed wherever a dataset key is accepted.
DATASETS: Mapping[str, DatasetSpec] = MappingProxyType(_REGISTERED)
PAPER_DATASETS = tuple(k for k, s in DATASETS.items() if s.paper_name)


@dataclass(frozen=True)
class Reading:
    """A second reading of a passage of the paper that is ambiguous where the reading decides a
    result: the same files and folds as dataset ``base``, trained the other way, under a dataset
    key of its own (so its fold files, configuration hashes and table rows never mix with the
    primary reading's, and every fold pairs with the base's fold of the same index).

    ``adoption_rule`` is written before the run (issue 37) and applied by
    :func:`medlib.readings.adopt_reading`; until it says "adopt", the base stays the primary
    reading and this one is a labelled sensitivity analysis beside it. A ``recipe`` reading reads
    the paper's silence on *how* a network trains (its learning rate): the data as the base's,
    ``augmentation`` None; the recipe itself is its profile block's (``medlib.profiles``), its
    rule applied by :func:`medlib.readings.recipe_reading`, and it runs only once
    :func:`medlib.readings.reading_gate` says its condition holds."""

    key: str
    base: str
    label: str
    passage: str
    augmentation: Augmentation | None
    adoption_rule: str
    kind: str = "augmentation"  # or "recipe": the same data, trained another way

    def spec(self) -> DatasetSpec:
        from dataclasses import replace

        base = DATASETS[self.base]
        return replace(base, key=self.key, paper_name=None, augmentation=self.augmentation or base.augmentation,
                       reading_of=self.base, adoption_rule=self.adoption_rule, notes=f"{self.label}. {base.notes}")


NOISE_255_RULE = (
    "Written 2026-12-06, before any fold of this reading ran. Each network's paired fold "
    "differences (0-255 reading minus the [0, 1] reading, the same 5 COV_CT folds) get a "
    "Nadeau-Bengio corrected 95 % interval. The 0-255 reading is ADOPTED for Table 7 (and the "
    "other five networks are rerun in it, so Table 7 stays like for like) when FF-VGG19's "
    "interval lies wholly above 0 and its mean accuracy under the new reading is more than 5 "
    "points above its floor (it learned), and the control Xception's interval is not wholly "
    "below 0 (the reading does not harm a network that learned under the first one). Where "
    "FF-VGG19's interval is wholly below 0 or Xception's is, the [0, 1] reading stays. "
    "Otherwise the choice is INCONCLUSIVE: the [0, 1] reading stays primary and both are "
    "printed side by side. VGG19's difference is reported but does not decide.")

SHARED_LR_RULE = (
    "Written 2026-12-07, before any fold of this recipe ran. The paper names no learning rate "
    "(Keras's Adam default is 1e-3); the study trains the plain VGGs (VGG19, FF-VGG19) at 1e-4 "
    "because 1e-3 blew them up on Cells2. This recipe trains them at 1e-3 like the other six "
    "networks, on COV_CT's folds, size, budget, precision and first noise reading ([0, 1]). It RUNS "
    "only once the first step (cov_ct_noise255, its planned folds complete) has not adopted the "
    "0-255 reading and left a plain VGG (either) at its COV_CT floor (mean accuracy within 5 "
    "points of it) under both noise readings; if 0-255 is adopted it is not run as registered "
    "here (condition amended 2026-12-07 on review, before any fold: it first named only the "
    "first reading, where both plain VGGs already sit at their floor). Per plain VGG, "
    "the paired fold differences (this recipe minus Table 7's, the same 5 folds) get a "
    "Nadeau-Bengio corrected 95 % interval: the network LEARNS under the shared recipe where the "
    "interval lies wholly above 0 and its mean accuracy is more than 5 points above its floor (its "
    "Table 7 floor is then the learning rate's); it STAYS AT ITS FLOOR where its mean accuracy is "
    "within 5 points of the floor; otherwise INCONCLUSIVE. Table 7 keeps its rows either way (its "
    "1e-4 was set on Cells2 before COV_CT ran, and Cells2's plain VGGs learned under it); this "
    "recipe is printed beside them. Input scale (chosen 2026-12-07 on Cells2 fold 0 by the rule "
    "in docs/methods.md, written before the two-seed check, before any COV_CT fold): each "
    "network's own ImageNet preprocessing (caffe's +-128 for the VGGs), the only scale under which "
    "FF-VGG19 learned at 1e-3 (test 85.7 and 78.6 % over a 64.3 % floor, 2 seeds); with inputs "
    "in [-1, 1] or [0, 1] it sat at the floor in both seeds, 88-98 % of its block5_conv1 channels dead "
    "(results/bench/shared_lr_cells2_ff_vgg19_fold0.csv).")

_READINGS = (
    Reading(
        key="cov_ct_noise255", base="cov_ct",
        label="COV_CT, noise read on 0-255 pixels",
        passage="s2.2: 'Gaussian noise with a mean of zero and a sigma of 0.01^0.5' (no scale given)",
        augmentation=Augmentation(shift=0.1, noise_sigma=PAPER_NOISE_SIGMA, noise_scale=255.0),
        adoption_rule=NOISE_255_RULE),
    Reading(
        key="cov_ct_shared_lr", base="cov_ct",
        label="COV_CT, every network at Adam's default 1e-3",
        passage="s2.2-2.3: no learning rate given (Keras's Adam default is 1e-3)",
        augmentation=None, adoption_rule=SHARED_LR_RULE, kind="recipe"),
)
# Second readings, read-only, resolved by get_spec; not in DATASETS (no files of their own, so
# the inventory and the data commands never list them twice)
READINGS: Mapping[str, Reading] = MappingProxyType({r.key: r for r in _READINGS})


def second_readings() -> dict[str, DatasetSpec]:
    """Every second reading, by key: the registry datasets that read another one's files
    (``reading_of``, e.g. Cells2's whole smears) and :data:`READINGS`, each with its
    ``adoption_rule``. A second reading is never another dataset in a pooled claim."""
    return {**{k: s for k, s in DATASETS.items() if s.reading_of}, **{k: r.spec() for k, r in READINGS.items()}}


def get_spec(key: str | DatasetSpec) -> DatasetSpec:
    """The spec of registry dataset ``key`` (or of a second reading, :data:`READINGS`); a
    :class:`DatasetSpec` (a user's folder) is its own."""
    if isinstance(key, DatasetSpec):
        return key
    if key in READINGS:
        return READINGS[key].spec()
    try:
        return DATASETS[key]
    except KeyError:
        raise KeyError(f"unknown dataset {key!r}; known: {', '.join(DATASETS)} (a folder of your own: "
                       "pass the spec medlib.data.folder_dataset returns)") from None
