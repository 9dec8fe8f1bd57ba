package dev.peft4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.nio.FloatBuffer;
import java.util.Random;

/** Small DJL models with seeded weights, identical on every engine. */
public final class TestModels {

    private TestModels() {}

    /**
     * A multilayer perceptron {@code Linear → tanh → Linear → …}; its linear layers have the
     * module paths {@code 0}, {@code 2}, {@code 4}, ….
     *
     * @param manager owns the weights
     * @param seed the weights' seed
     * @param widths input width, then each layer's output width
     * @return the initialised model
     */
    public static SequentialBlock mlp(NDManager manager, long seed, int... widths) {
        SequentialBlock block = new SequentialBlock();
        for (int i = 1; i < widths.length; i++) {
            if (i > 1) {
                block.add(Activation::tanh);
            }
            block.add(Linear.builder().setUnits(widths[i]).build());
        }
        block.initialize(manager, DataType.FLOAT32, new Shape(1, widths[0]));
        randomize(block, new Random(seed), 1.0);
        return block;
    }

    /**
     * Overwrites every parameter of a block with normal random values times a scale, divided by
     * √fan-in for matrices.
     *
     * @param block the block
     * @param random the source
     * @param scale the factor
     */
    public static void randomize(Block block, Random random, double scale) {
        for (Parameter parameter : block.getParameters().values()) {
            randomize(parameter, random, scale);
        }
    }

    /**
     * Overwrites one parameter with normal random values times a scale, divided by √fan-in for
     * matrices.
     *
     * @param parameter the parameter
     * @param random the source
     * @param scale the factor
     */
    public static void randomize(Parameter parameter, Random random, double scale) {
        Shape shape = parameter.getShape();
        double std = shape.dimension() > 1 ? scale / Math.sqrt(shape.get(shape.dimension() - 1)) : scale;
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        parameter.getArray().set(FloatBuffer.wrap(values));
    }

    /**
     * Runs an inference forward.
     *
     * @param block the model
     * @param input the input
     * @return the single output
     */
    public static NDArray predict(Block block, NDArray input) {
        ParameterStore store = new ParameterStore(input.getManager(), false);
        return block.forward(store, new NDList(input), false).singletonOrThrow();
    }

    /**
     * A copy of a parameter's values.
     *
     * @param parameter the parameter
     * @return its values, flat
     */
    public static float[] values(Parameter parameter) {
        return parameter.getArray().toFloatArray();
    }
}
