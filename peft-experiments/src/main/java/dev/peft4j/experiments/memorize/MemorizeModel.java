package dev.peft4j.experiments.memorize;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.peft4j.spi.InPlace;
import java.util.Random;

/**
 * The network that memorizes: one-hot key (32·16) → Linear → ReLU → Linear → ReLU → Linear →
 * logits (32·16), with random frozen base weights drawn from a seed in Java, so every method and
 * both engines start from the same numbers.
 *
 * <p>The base is random rather than pretrained on another task: the task stores new, random
 * knowledge, which no pretraining can supply, and what limits LoRA (the rank of its update) is a
 * property of the update, not of the base. A random base keeps runs short and identical.
 */
final class MemorizeModel {

    /** Input and output width: 32 characters × 16 symbols. */
    static final int WIDTH = UuidPairs.LENGTH * UuidPairs.SYMBOLS;

    private MemorizeModel() {}

    /**
     * Builds and initialises the model.
     *
     * @param manager owns the weights
     * @param hidden the hidden width
     * @param seed the weights' seed
     * @return the model; its linear layers have the paths 0, 2 and 4
     */
    static SequentialBlock build(NDManager manager, int hidden, long seed) {
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(hidden).build())
                .add(Activation::relu)
                .add(Linear.builder().setUnits(WIDTH).build());
        block.initialize(manager, DataType.FLOAT32, new Shape(1, WIDTH));
        Random random = new Random(seed);
        for (Parameter parameter : block.getParameters().values()) {
            Shape shape = parameter.getShape();
            float[] values = new float[Math.toIntExact(shape.size())];
            if (shape.dimension() == 2) {
                double std = Math.sqrt(2.0 / shape.get(1));
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * std);
                }
            }
            InPlace.copy(values, parameter.getArray());
        }
        return block;
    }
}
