"""Data layer: registry, acquisition, readers, index adapters, preprocessing."""
from .acquire import (ChecksumError, DatasetUnavailable, UnsafeArchiveError, download,
                      is_available, locate, safe_extract)
from .augment import make_augmenter
from .dataset import Dataset, build_index, load_dataset, stratified_subset
from .inventory import inventory
from .own import folder_dataset
from .readers import ImageReadError, read_image
from .registry import DATASETS, PAPER_DATASETS, Augmentation, DatasetSpec, get_spec

__all__ = ["ChecksumError", "DatasetUnavailable", "UnsafeArchiveError", "download", "is_available",
           "locate", "safe_extract", "make_augmenter", "Dataset", "build_index", "load_dataset",
           "stratified_subset", "inventory", "folder_dataset", "ImageReadError", "read_image", "DATASETS",
           "PAPER_DATASETS", "Augmentation", "DatasetSpec", "get_spec"]
