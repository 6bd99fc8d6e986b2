"""medlib: what deep CNNs learn from medical images (reproduction of Apostolopoulos et al.
2022 and Kim et al. 2019 CRM). See README.md."""
__version__ = "0.1.0"
