"""All trainable weights of a model as one vector, for one optimizer update.

The TensorFlow training call (``skdnn._training``) trains the private
template model of an architecture (its ``skdnn._kit.Kit``); with this layout
its optimizer updates one long vector instead of every weight and bias on its
own, so an optimiser step is one set of elementwise operations, with the
numbers of Keras's per-variable updates.
"""

from __future__ import annotations

import numpy as np


def n_values(variables) -> int:
    """How many numbers ``variables`` hold, together."""
    return sum(int(np.prod(v.shape)) for v in variables)


class FlatLayout:
    """All trainable weights as one vector, for one optimizer update a step.

    Keras's TensorFlow optimizers run a dozen small operations per variable
    and step; the MLP's weights and biases are many small variables, so most
    of a small batch's step was the optimizer's bookkeeping. Elementwise
    optimizers (all of skdnn's) give the same numbers when every weight,
    and each of their per-weight slots (Adam's moments, ...), is one long
    vector: ``optimizer`` is a copy of the model's built on that vector.
    ``slots`` says where each of the model optimizer's variables goes: a
    ``(kind, index)`` pair for a slot of trainable variable ``index``, the
    position of the copy's variable for a scalar (the step count, the
    learning rate).
    """

    def __init__(self, model, vector, optimizer, slots, kinds):
        self.shapes = [tuple(v.shape) for v in model.trainable_variables]
        self.sizes = [int(np.prod(shape)) for shape in self.shapes]
        self.vector, self.optimizer = vector, optimizer
        self.slots, self.kinds = slots, kinds

    @classmethod
    def of(cls, model):
        """The layout for ``model``'s optimizer, or None where it cannot be."""
        from skdnn._keras import import_keras

        keras = import_keras()
        trainable = model.trainable_variables
        if not trainable or {v.dtype for v in trainable} != {"float32"}:
            return None
        source = model.optimizer
        config = source.get_config()
        if any(config.get(k) for k in ("clipnorm", "clipvalue", "use_ema")):
            return None  # per-variable clipping and averaging: not elementwise
        size = n_values(trainable)
        vector = keras.Variable(np.zeros(size, np.float32), name="weights")
        optimizer = type(source).from_config(config)
        optimizer.build([vector])
        prefix = vector.path.replace("/", "_") + "_"
        kinds = {
            v.name[len(prefix) :]: i
            for i, v in enumerate(optimizer.variables)
            if v.name.startswith(prefix) and tuple(v.shape) == (size,)
        }
        scalars = [
            i for i in range(len(optimizer.variables)) if i not in kinds.values()
        ]
        owners = {v.path.replace("/", "_") + "_": i for i, v in enumerate(trainable)}
        slots, seen = [], set()
        for variable in source.variables:
            slot = next(
                (
                    (variable.name[len(owner) :], index)
                    for owner, index in owners.items()
                    if variable.name.startswith(owner)
                    and variable.name[len(owner) :] in kinds
                ),
                None,
            )
            if slot is None:
                if not scalars or variable.shape != ():
                    return None
                slot = scalars.pop(0)
            slots.append(slot)
            seen.add(slot)
        if scalars or len(seen) != len(slots):
            return None
        if {s for s in seen if isinstance(s, tuple)} != {
            (kind, i) for kind in kinds for i in range(len(trainable))
        }:
            return None
        return cls(model, vector, optimizer, slots, kinds)

    def parts(self, vector) -> list:
        """The trainable variables' values, from the vector."""
        import tensorflow as tf

        pieces = tf.split(vector, self.sizes)
        return [
            tf.reshape(p, shape) for p, shape in zip(pieces, self.shapes, strict=True)
        ]

    def load(self, trainable, optimizer_values) -> None:
        """Set the vector and the copy's variables from the model's values."""
        import tensorflow as tf

        self.vector.assign(tf.concat([tf.reshape(v, [-1]) for v in trainable], 0))
        by_slot = dict(zip(self.slots, optimizer_values, strict=True))
        for kind, position in self.kinds.items():
            parts = [by_slot[(kind, i)] for i in range(len(self.sizes))]
            self.optimizer.variables[position].assign(
                tf.concat([tf.reshape(v, [-1]) for v in parts], 0)
            )
        for slot, value in by_slot.items():
            if not isinstance(slot, tuple):
                self.optimizer.variables[slot].assign(value)

    def optimizer_values(self) -> list:
        """The model optimizer's variables' values, from the copy's."""
        variables = self.optimizer.variables
        split = {kind: self.parts(variables[i].value) for kind, i in self.kinds.items()}
        return [
            split[slot[0]][slot[1]]
            if isinstance(slot, tuple)
            else variables[slot].value
            for slot in self.slots
        ]
