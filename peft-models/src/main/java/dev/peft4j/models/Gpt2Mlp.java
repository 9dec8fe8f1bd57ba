package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/**
 * GPT-2's MLP ({@code mlp}): {@code c_proj(gelu(c_fc(x)))} with the tanh form of GELU that GPT-2 was
 * trained with (Hendrycks and Gimpel 2016, §2): {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}.
 */
final class Gpt2Mlp extends Module {

    private static final int FC = 0;
    private static final int PROJECTION = 1;
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    Gpt2Mlp(ModelConfig config) {
        addChildBlock(
                "c_fc", Linear.builder().setUnits(config.intermediateSize()).build());
        addChildBlock("c_proj", Linear.builder().setUnits(config.hiddenSize()).build());
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray x = child(FC, store, hidden, context);
        // constants as arrays: DJL's PyTorch mul(Number) wraps a buffer the GC may free before the backward pass reads
        // it
        NDManager manager = x.getManager();
        NDArray cube = x.mul(x).mul(x);
        NDArray inner = x.add(cube.mul(manager.create(0.044715f)))
                .mul(manager.create(SQRT_2_OVER_PI))
                .tanh();
        return child(PROJECTION, store, x.mul(manager.create(0.5f)).mul(inner.add(1f)), context);
    }
}
