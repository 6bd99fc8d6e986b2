"""medlib: what deep CNNs learn from medical images (reproduction of Apostolopoulos et al.
2022 and Kim et al. 2019 CRM). See README.md."""
import os as _os

# TensorFlow's C++ start-up chatter (oneDNN notes, absl warnings) buries notebook output;
# a user who wants it sets TF_CPP_MIN_LOG_LEVEL=0 before importing medlib.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
