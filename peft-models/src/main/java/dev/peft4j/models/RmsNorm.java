package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/** RMSNorm (Zhang and Sennrich 2019), as Llama computes it: {@code w ⊙ x / √(mean(x²) + ε)} over the last axis. */
final class RmsNorm extends Module {

    private final Parameter weight = parameter("weight");
    private final float eps;

    RmsNorm(double eps) {
        this.eps = (float) eps;
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray w = store.getValue(weight, hidden.getDevice(), context.training());
        NDArray rms = hidden.square().mean(new int[] {-1}, true).add(eps).sqrt();
        return hidden.div(rms).mul(w);
    }
}
