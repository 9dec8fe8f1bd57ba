package dev.peft4j.testkit;

import ai.djl.modality.nlp.embedding.TrainableWordEmbedding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.InPlace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * A DJL {@link TrainableWordEmbedding} (V, D) followed by a linear layer: token ids (B, T) →
     * (B, T, out). The embedding has the module path {@code 0}, its table the parameter name {@code
     * embedding}; the linear layer is {@code 1}.
     *
     * @param manager owns the weights
     * @param seed the weights' seed
     * @param vocabulary V
     * @param dimension D
     * @param out the linear layer's output width
     * @return the initialised model
     */
    public static SequentialBlock embeddingThenLinear(
            NDManager manager, long seed, int vocabulary, int dimension, int out) {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < vocabulary; i++) {
            words.add("w" + i);
        }
        NDArray table = manager.zeros(new Shape(vocabulary, dimension));
        SequentialBlock block = new SequentialBlock()
                .add(TrainableWordEmbedding.fromPretrained(table, words))
                .add(Linear.builder().setUnits(out).build());
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 1));
        randomize(block, new Random(seed), 1.0);
        return block;
    }

    /**
     * A chain of square linear layers (no bias) at given module paths, nested as PyTorch names
     * them: the path {@code model.layers.0.self_attn.q_proj} is a layer {@code q_proj} inside
     * blocks {@code self_attn}, {@code 0}, {@code layers} and {@code model}. The forward applies
     * the layers in the order given.
     *
     * @param manager owns the weights
     * @param width every layer's input and output width
     * @param paths the layers' module paths
     * @return the initialised model
     */
    public static Block namedChain(NDManager manager, int width, List<String> paths) {
        NamedChain root = new NamedChain();
        List<Block> order = new ArrayList<>();
        for (String path : paths) {
            NamedChain parent = root;
            String[] segments = path.split("\\.");
            for (int i = 0; i < segments.length - 1; i++) {
                parent = parent.childChain(segments[i]);
            }
            order.add(parent.add(
                    segments[segments.length - 1],
                    Linear.builder().setUnits(width).optBias(false).build()));
        }
        root.order = order;
        root.initialize(manager, DataType.FLOAT32, new Shape(1, width));
        return root;
    }

    /** Named blocks: the root runs its layers in order; inner blocks only hold children. */
    private static final class NamedChain extends AbstractBlock {
        private final Map<String, NamedChain> chains = new LinkedHashMap<>();
        private List<Block> order = List.of();

        NamedChain childChain(String name) {
            return chains.computeIfAbsent(name, n -> addChildBlock(n, new NamedChain()));
        }

        Block add(String name, Block block) {
            return addChildBlock(name, block);
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDList x = inputs;
            for (Block block : order) {
                x = block.forward(store, x, training);
            }
            return x;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (Block child : getChildren().values()) {
                child.initialize(manager, dataType, inputShapes);
            }
        }
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
     * Overwrites every trainable parameter of an adapter with normal random values times a scale,
     * divided by √fan-in for matrices.
     *
     * @param adapter the adapter
     * @param random the source
     * @param scale the factor
     */
    public static void randomize(Adapter adapter, Random random, double scale) {
        adapter.peftParameters().values().forEach(p -> randomize(p, random, scale));
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
        InPlace.copy(values, parameter.getArray());
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
