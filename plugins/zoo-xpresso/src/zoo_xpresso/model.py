"""Xpresso (Agarwal & Shendure 2020) in Keras 3 / TensorFlow, the framework it was published in.

Architecture read from the published h5 ``model_config`` (Keras 2.0.5): promoter (10500, 4) →
Conv1D(128, 6, same, relu) → MaxPool(30) → Conv1D(32, 9, same, relu) → MaxPool(10) → Flatten(1120)
⊕ halflife(6) → Dense(64) relu → Dense(2) relu → Dense(1). Dropout is inactive at inference.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from zoo_core.model import ZooModel
from zoo_core.spec import ModelSpec

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's start-up chatter would drown zoo's messages

LAYERS = ("conv1d_1", "conv1d_2", "dense_1", "dense_2", "dense_3")


def build_keras(window: int = 10500, n_halflife: int = 6) -> Any:
    """The Xpresso network with freshly initialised weights."""
    import keras
    from keras import layers

    promoter = keras.Input((window, 4), name="promoter")
    halflife = keras.Input((n_halflife,), name="halflife")
    x = layers.Conv1D(128, 6, padding="same", activation="relu", name="conv1d_1")(promoter)
    x = layers.MaxPooling1D(30, name="max_pooling1d_1")(x)
    x = layers.Conv1D(32, 9, padding="same", activation="relu", name="conv1d_2")(x)
    x = layers.MaxPooling1D(10, name="max_pooling1d_2")(x)
    x = layers.Concatenate(name="concatenate_1")([layers.Flatten(name="flatten_1")(x), halflife])
    x = layers.Dense(64, activation="relu", name="dense_1")(x)
    x = layers.Dense(2, activation="relu", name="dense_2")(x)
    out = layers.Dense(1, name="dense_3")(x)
    return keras.Model([promoter, halflife], out, name="xpresso")


def set_weights(model: Any, tensors: dict[str, np.ndarray]) -> None:
    """Load ``{layer.kernel, layer.bias}`` arrays (the safetensors layout) into ``model``."""
    for name in LAYERS:
        model.get_layer(name).set_weights([tensors[f"{name}.kernel"], tensors[f"{name}.bias"]])


class XpressoModel(ZooModel):
    """Xpresso with the published MIT weights (converted h5 → safetensors)."""

    framework: ClassVar[str] = "tensorflow"

    def __init__(self, spec: ModelSpec, weights: dict[str, Path]) -> None:
        super().__init__(spec, weights)
        from safetensors.numpy import load_file

        self._device: str | None = None
        self.keras = build_keras(spec.inputs[0].length or 10500, spec.inputs[1].length or 6)
        set_weights(self.keras, load_file(weights["model.safetensors"]))

    def to(self, device: str | None) -> XpressoModel:
        if device:
            kind, _, index = device.lower().replace("cuda", "gpu").partition(":")
            self._device = f"/{kind.upper()}:{index or 0}"
        return self

    def _call(self, inputs: dict[str, np.ndarray]) -> Any:
        return self.keras([inputs["promoter"], inputs["halflife"]], training=False)

    def predict_on_batch(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import tensorflow as tf

        with tf.device(self._device) if self._device else contextlib.nullcontext():
            return self._call(inputs).numpy()

    def gradient(self, inputs: dict[str, np.ndarray], *, target: str, name: str) -> np.ndarray:
        import tensorflow as tf

        column = self.output_index(target)
        x = tf.convert_to_tensor(inputs["promoter"], tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(x)
            halflife = tf.convert_to_tensor(inputs["halflife"], tf.float32)
            y = self._call({"promoter": x, "halflife": halflife})[:, column]
        return tape.gradient(y, x).numpy()

