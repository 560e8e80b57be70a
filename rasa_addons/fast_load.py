"""Load DIET and TED in seconds, not minutes: build their weights with one eager step instead of a
traced one.

Rasa 3.6's `RasaModel.load` creates each TensorFlow model by fitting it for one step on a single
example, then reads the trained weights over it. Keras traces that step into a graph first: for
this bot's DIET model (entity CRF, two languages' character n-grams) the trace alone took 90-105 s
of the model's 96 s load on 2 CPU cores, and every `rasa run`, `rasa test` and e2e stack paid it.
Run eagerly, the same step builds the same variables in about a second; the weights that are then
loaded and the graph-compiled prediction afterwards are exactly Rasa's (measured: the same intents,
confidences and entities on English and Chinese messages; the load 95.7 s -> 9.6 s).

`install()` replaces `RasaModel.load` with that version when the package is imported (like
`remote_action`), only on the Rasa version it was written against; `RECSYS_RASA_TRACED_LOAD=1`
keeps Rasa's own.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional, Text

logger = logging.getLogger(__name__)

_installed = False
_KNOWN_RASA = "3.6."


def install() -> bool:
    """Patch `RasaModel.load` once; True when it is patched."""
    global _installed
    if _installed:
        return True
    if os.environ.get("RECSYS_RASA_TRACED_LOAD", "").strip() in ("1", "true", "yes"):
        return False
    try:
        import rasa
        from rasa.utils.tensorflow.models import RasaModel
    except ImportError:  # not inside Rasa's environment
        return False
    if not rasa.__version__.startswith(_KNOWN_RASA):
        logger.warning("rasa_addons.fast_load knows Rasa %s*, not %s: models load as Rasa loads them",
                       _KNOWN_RASA, rasa.__version__)
        return False

    def load(
        cls: Any,
        model_file_name: Text,
        model_data_example: Any,
        predict_data_example: Optional[Any] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Rasa 3.6's `RasaModel.load`, with the one weight-building step run eagerly."""
        import tensorflow as tf
        from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
        from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.run_eagerly = config.get(RUN_EAGERLY)  # prediction (and any fine-tuning) as configured
        model.load_weights(model_file_name)
        if not finetune_mode and predict_data_example:
            model.run_inference(predict_data_example)  # traces the prediction graph once, as Rasa does
        return model

    RasaModel.load = classmethod(load)  # type: ignore[method-assign, assignment]
    _installed = True
    return True
