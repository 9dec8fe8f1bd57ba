package dev.peft4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;

/** Llama's SwiGLU MLP ({@code mlp}): {@code down_proj(silu(gate_proj(x)) ⊙ up_proj(x))} (Shazeer 2020). */
final class LlamaMlp extends Module {

    private static final int GATE = 0;
    private static final int UP = 1;
    private static final int DOWN = 2;

    LlamaMlp(ModelConfig config) {
        addChildBlock(
                "gate_proj",
                Linear.builder()
                        .setUnits(config.intermediateSize())
                        .optBias(config.mlpBias())
                        .build());
        addChildBlock(
                "up_proj",
                Linear.builder()
                        .setUnits(config.intermediateSize())
                        .optBias(config.mlpBias())
                        .build());
        addChildBlock(
                "down_proj",
                Linear.builder()
                        .setUnits(config.hiddenSize())
                        .optBias(config.mlpBias())
                        .build());
    }

    @Override
    NDArray forward(ParameterStore store, NDArray hidden, ForwardContext context) {
        NDArray gate = child(GATE, store, hidden, context);
        NDArray up = child(UP, store, hidden, context);
        NDArray sigmoid = Activation.sigmoid(gate);
        // outside training the products overwrite the sigmoid, a temporary of this pass: no fresh (…, intermediate)
        // arrays; a training pass keeps every factor for the backward
        NDArray activated = context.training()
                ? gate.mul(sigmoid).mul(up)
                : sigmoid.muli(gate).muli(up);
        return child(DOWN, store, activated, context);
    }
}
