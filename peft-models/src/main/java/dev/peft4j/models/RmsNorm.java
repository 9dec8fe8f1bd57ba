package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import dev.peft4j.spi.CachedScalar;

/** RMSNorm (Zhang and Sennrich 2019), as Llama computes it: {@code w ⊙ x / √(mean(x²) + ε)} over the last axis. */
final class RmsNorm extends Module {

    private final Parameter weight = parameter("weight");
    private final float eps;
    private final CachedScalar minusHalf = new CachedScalar(-0.5f);

    RmsNorm(double eps) {
        this.eps = (float) eps;
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray w = store.getValue(weight, hidden.getDevice(), context.training());
        // x times 1/√(mean(x²) + ε), as transformers computes it: the backward of a product with a (…, 1) factor is
        // cheaper than that of a quotient
        NDArray inverseRms =
                hidden.square().mean(new int[] {-1}, true).add(eps).pow(minusHalf.like(hidden, w.getManager()));
        return hidden.mul(inverseRms).mul(w);
    }
}
