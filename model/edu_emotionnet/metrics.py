"""Accuracy and F1 over the valid steps of a batch of sessions."""
from __future__ import annotations

import numpy as np


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    valid = labels >= 0
    idx = labels[valid] * num_classes + predictions[valid]
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_f1(cm: np.ndarray) -> np.ndarray:
    tp = np.diag(cm).astype(float)
    precision_den = cm.sum(axis=0)
    recall_den = cm.sum(axis=1)
    den = precision_den + recall_den
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def scores(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> dict:
    cm = confusion_matrix(labels, predictions, num_classes)
    f1 = per_class_f1(cm)
    return {
        "accuracy": float(np.trace(cm) / max(cm.sum(), 1)),
        "macro_f1": float(f1.mean()),
        "per_class_f1": f1.tolist(),
        "steps": int(cm.sum()),
    }
