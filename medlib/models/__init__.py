"""Model zoo (flat Keras models with named features/embedding/logits) and weights."""
from .ffvgg19 import FFVGG19Config
from .weights import WeightsUnavailable, available_weights, imagenet_weights
from .zoo import (ARCHITECTURES, PAPER_NETWORKS, STRATEGIES, HeadConfig, build_head, build_model,
                  embedding_model, head_model)

__all__ = ["FFVGG19Config", "WeightsUnavailable", "available_weights", "imagenet_weights",
           "ARCHITECTURES", "PAPER_NETWORKS", "STRATEGIES", "HeadConfig", "build_model",
           "build_head", "embedding_model", "head_model"]
