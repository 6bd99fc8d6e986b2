"""FF-VGG19 (feature-fusion VGG19): an explicit, configurable ASSUMPTION.

The paper (Table 2, Figure 1; its ref. [19]/[35], Apostolopoulos et al. 2021)
shows FF-VGG19 as VGG19 whose intermediate block outputs are fused before the
classifier, but publishes no exact layer list, pooling or head. We implement:

    VGG19 backbone -> taps = block3_pool, block4_pool, block5_pool
                   -> GlobalAveragePooling2D on each tap ("gap_<tap>")
                   -> Concatenate ("embedding": 256 + 512 + 512 = 1280 values)
                   -> Dense(256, ReLU) ("head_dense") -> Dropout(0.5)
                   -> Dense(n_classes) ("logits") -> Softmax ("probs")

Why these defaults: three taps span mid-level texture (block3) to the deepest
semantics (block5), which is the point of fusing; global average pooling keeps
the fused vector small enough for 100-image datasets and keeps every tap's
spatial map readable by CAM-style explanations; one hidden dense layer of 256
with dropout 0.5 is the smallest head that can weigh the fused scales against
each other. All of it can be changed here; notebook 02 prints the config used.
"""
from __future__ import annotations

from dataclasses import dataclass

from keras import layers


@dataclass(frozen=True)
class FFVGG19Config:
    taps: tuple[str, ...] = ("block3_pool", "block4_pool", "block5_pool")
    pooling: str = "avg"  # "avg" or "max"
    head_units: int = 256
    dropout: float = 0.5

    def fuse(self, backbone):
        """The fused embedding tensor on top of a VGG19 backbone."""
        pool = layers.GlobalAveragePooling2D if self.pooling == "avg" else layers.GlobalMaxPooling2D
        pooled = [pool(name=f"gap_{tap}")(backbone.get_layer(tap).output) for tap in self.taps]
        return layers.Concatenate(name="embedding")(pooled)

    def head(self, embedding):
        """The hidden layers between the fused embedding and the logits."""
        hidden = layers.Dense(self.head_units, activation="relu", name="head_dense")(embedding)
        return layers.Dropout(self.dropout, name="head_dropout")(hidden)
