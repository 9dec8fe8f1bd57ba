package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/** LayerNorm over the last axis with a weight and a bias, as GPT-2 uses it. */
final class LayerNorm extends Module {

    private final Parameter weight = parameter("weight");
    private final Parameter bias = parameter("bias");
    private final float eps;

    LayerNorm(double eps) {
        this.eps = (float) eps;
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray w = store.getValue(weight, hidden.getDevice(), context.training());
        NDArray b = store.getValue(bias, hidden.getDevice(), context.training());
        return ai.djl.nn.norm.LayerNorm.layerNorm(hidden, new Shape(w.getShape().get(0)), w, b, eps)
                .singletonOrThrow();
    }
}
