package dev.peft4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.FullDeltaFactory;
import dev.peft4j.testkit.TestModels;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

class PeftModelTest {

    private static final AdapterConfig DELTA =
            AdapterConfig.builder(FullDeltaFactory.NAME).setRank(1).build();

    /** A block that calls its linear layer through a field, as hand-written models do. */
    static final class FieldModel extends AbstractBlock {
        private Block projection;

        FieldModel(Block projection) {
            this.projection = addChildBlock("proj", projection);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return projection.forward(ps, in, training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return projection.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            projection.initialize(manager, dataType, inputShapes);
        }
    }

    /** A block whose field's type cannot hold an adapter. */
    static final class TypedFieldModel extends AbstractBlock {
        private final Linear projection;

        TypedFieldModel(Linear projection) {
            this.projection = addChildBlock("proj", projection);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            return projection.forward(ps, in, training);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return projection.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            projection.initialize(manager, dataType, inputShapes);
        }
    }

    private static NDManager manager(EngineBinding engine) {
        return NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
    }

    private static Linear linear(NDManager manager, int in, int out, long seed) {
        Linear linear = Linear.builder().setUnits(out).build();
        linear.initialize(manager, DataType.FLOAT32, new Shape(1, in));
        TestModels.randomize(linear, new Random(seed), 1);
        return linear;
    }

    private static void randomizeAdapter(PeftModel peft, String name, long seed) {
        Random random = new Random(seed);
        for (AdaptedLayer layer : peft.layers().values()) {
            TestModels.randomize(layer.adapters().get(name), random, 1);
        }
    }

    @ParameterizedTest
    @EngineSource
    void aLinearRootIsWrappedAndComputesTheMergedWeight(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            Linear base = linear(manager, 5, 3, 1);
            double[][] w0 = Dense.fromArray(base.getParameters().get("weight").getArray());
            double[] bias = base.getParameters()
                    .get("bias")
                    .getArray()
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            PeftModel peft = PeftModel.wrap(base).addAdapter("default", DELTA, TargetModules.regex(".*"));
            AdaptedLinear root = assertInstanceOf(AdaptedLinear.class, peft.block());
            randomizeAdapter(peft, "default", 2);
            double[][] delta = Dense.fromArray(root.adapters().get("default").deltaWeight(null));
            double[][] x = Dense.random(new Random(3), 4, 5);
            double[][] expected = Dense.addRow(Dense.matmul(x, Dense.transpose(Dense.add(w0, 1, delta))), bias);
            Dense.assertClose(
                    expected, Dense.fromArray(TestModels.predict(peft.block(), Dense.toArray(manager, x))), 1e-5, "h");
        }
    }

    @ParameterizedTest
    @EngineSource
    void fieldsThatHoldTheLayerAreRewired(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            FieldModel model = new FieldModel(linear(manager, 4, 4, 1));
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            NDArray x = Dense.toArray(manager, Dense.random(new Random(1), 2, 4));
            double[][] before = Dense.fromArray(TestModels.predict(model, x));
            PeftModel peft = PeftModel.wrap(model).addAdapter("default", DELTA, TargetModules.names("proj"));
            assertInstanceOf(AdaptedLinear.class, model.projection);
            assertSame(model.projection, model.getChildren().valueAt(0));
            randomizeAdapter(peft, "default", 9);
            double[][] after = Dense.fromArray(TestModels.predict(model, x));
            assertTrue(Dense.maxDifference(before, after) > 1e-3, "the forward goes through the adapter");
        }
    }

    /** A block that calls its layers through a list, as hand-written models do. */
    static final class ListModel extends AbstractBlock {
        private final List<Block> layers = new ArrayList<>();

        ListModel(Block first, Block second) {
            layers.add(addChildBlock("first", first));
            layers.add(addChildBlock("second", second));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> p) {
            NDList x = in;
            for (Block layer : layers) {
                x = layer.forward(ps, x, training);
            }
            return x;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            for (Block layer : layers) {
                layer.initialize(manager, dataType, inputShapes);
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void listsThatHoldTheLayerAreRewiredAndUnmodifiableOnesRefused(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            ListModel model = new ListModel(linear(manager, 4, 4, 1), linear(manager, 4, 4, 2));
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            NDArray x = Dense.toArray(manager, Dense.random(new Random(1), 2, 4));
            double[][] before = Dense.fromArray(TestModels.predict(model, x));
            PeftModel peft = PeftModel.wrap(model).addAdapter("default", DELTA, TargetModules.names("second"));
            assertInstanceOf(AdaptedLinear.class, model.layers.get(1));
            randomizeAdapter(peft, "default", 9);
            assertTrue(Dense.maxDifference(before, Dense.fromArray(TestModels.predict(model, x))) > 1e-3);

            ListModel frozen = new ListModel(linear(manager, 4, 4, 1), linear(manager, 4, 4, 2));
            frozen.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            List<Block> original = List.copyOf(frozen.layers);
            frozen.layers.clear();
            PeftException error;
            try {
                Field field = ListModel.class.getDeclaredField("layers");
                field.setAccessible(true);
                field.set(frozen, original);
                error = assertThrows(
                        PeftException.class,
                        () -> PeftModel.wrap(frozen).addAdapter("default", DELTA, TargetModules.names("first")));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            assertTrue(
                    error.getMessage().contains("ListModel.layers holds the layer in a list that cannot be changed"),
                    error.getMessage());
            assertInstanceOf(Linear.class, frozen.getChildren().valueAt(0), "the tree is unchanged");
        }
    }

    @ParameterizedTest
    @EngineSource
    void aFieldThatCannotHoldTheAdapterIsAClearErrorAndChangesNothing(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            Linear projection = linear(manager, 4, 4, 1);
            TypedFieldModel model = new TypedFieldModel(projection);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            PeftModel peft = PeftModel.wrap(model);
            PeftException error = assertThrows(
                    PeftException.class, () -> peft.addAdapter("default", DELTA, TargetModules.names("proj")));
            assertTrue(
                    error.getMessage().contains("TypedFieldModel.projection holds the layer as a Linear"),
                    error.getMessage());
            assertSame(projection, model.getChildren().valueAt(0), "the tree is unchanged");
        }
    }

    @ParameterizedTest
    @EngineSource
    void adaptersCanBeDisabledMergedAndUnmergedByName(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            Block mlp = TestModels.mlp(manager, 3, 4, 6, 2);
            double[][] w0 = Dense.fromArray(
                    mlp.getChildren().valueAt(0).getParameters().get("weight").getArray());
            PeftModel peft = PeftModel.wrap(mlp);
            NDArray x = Dense.toArray(manager, Dense.random(new Random(1), 3, 4));
            double[][] base = Dense.fromArray(TestModels.predict(peft.block(), x));
            peft.addAdapter("first", DELTA, TargetModules.names("0", "2"));
            peft.addAdapter("second", DELTA, TargetModules.names("0"));
            randomizeAdapter(peft, "first", 5);
            TestModels.randomize(peft.layers().get("0").adapters().get("second"), new Random(6), 1);
            double[][] both = Dense.fromArray(TestModels.predict(peft.block(), x));

            peft.setAdapterEnabled("first", false);
            peft.setAdapterEnabled("second", false);
            Dense.assertClose(base, Dense.fromArray(TestModels.predict(peft.block(), x)), 1e-5, "all disabled");
            peft.setAdapterEnabled("first", true);
            peft.setAdapterEnabled("second", true);

            peft.merge();
            assertTrue(peft.layers().get("0").isMerged());
            Dense.assertClose(both, Dense.fromArray(TestModels.predict(peft.block(), x)), 1e-5, "merged");
            PeftException merged = assertThrows(PeftException.class, () -> peft.setAdapterEnabled("first", false));
            assertTrue(merged.getMessage().contains("unmerge before"), merged.getMessage());
            peft.unmerge();
            Dense.assertClose(
                    w0, Dense.fromArray(peft.layers().get("0").weight().getArray()), 1e-6, "W0");
            Dense.assertClose(both, Dense.fromArray(TestModels.predict(peft.block(), x)), 1e-5, "unmerged");
        }
    }

    @ParameterizedTest
    @EngineSource
    void theParameterReportFollowsPeftsFormat(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 3, 4, 6, 2));
            assertEquals(
                    "trainable params: 0 || all params: 44 || trainable%: 0.0000",
                    peft.parameterReport().toString());
            peft.addAdapter("default", DELTA, TargetModules.names("0"));
            assertEquals(
                    "trainable params: 24 || all params: 68 || trainable%: 35.2941",
                    peft.parameterReport().toString());
            assertEquals(
                    "trainable params: 1,234 || all params: 5,678,901 || trainable%: 0.0217",
                    new ParameterReport(1234, 5678901).toString());
        }
    }

    @ParameterizedTest
    @EngineSource
    void badRequestsAreClearErrors(EngineBinding engine) {
        try (NDManager manager = manager(engine)) {
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 3, 4, 6, 2));
            PeftException unknown = assertThrows(
                    PeftException.class,
                    () -> peft.addAdapter(
                            "default", AdapterConfig.builder("vera").setRank(2).build(), TargetModules.names("0")));
            assertTrue(unknown.getMessage().startsWith("Unknown adapter 'vera'. Available: ["), unknown.getMessage());
            peft.addAdapter("default", DELTA, TargetModules.names("0"));
            assertThrows(PeftException.class, () -> peft.addAdapter("default", DELTA, TargetModules.names("2")));
            assertThrows(PeftException.class, () -> peft.setAdapterEnabled("other", true));
        }
    }

    @Test
    void anUninitialisedModelIsRejected() {
        PeftException error = assertThrows(
                PeftException.class,
                () -> PeftModel.wrap(Linear.builder().setUnits(3).build()));
        assertTrue(error.getMessage().startsWith("Initialise or load the model"), error.getMessage());
    }

    @ParameterizedTest
    @EngineSource
    void anEmbeddingIsALayerOnlyForMethodsThatSupportEmbeddings(EngineBinding engine) {
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            Block model = TestModels.embeddingThenLinear(manager, 1, 5, 4, 3);
            List<ModuleTree.Layer> layers = ModuleTree.layers(model);
            assertEquals(
                    List.of("0", "1"),
                    layers.stream().map(ModuleTree.Layer::path).toList());
            assertTrue(layers.get(0).embedding() && !layers.get(1).embedding());
            assertEquals(
                    dev.peft4j.spi.AdapterTarget.embedding("0", 5, 4, DataType.FLOAT32),
                    layers.get(0).target());
            PeftModel peft = PeftModel.wrap(model);
            PeftException error = assertThrows(
                    PeftException.class, () -> peft.addAdapter("default", DELTA, TargetModules.names("0", "1")));
            assertEquals(
                    "The targets include the embedding [0], but method 'full-delta' adapts linear layers only; "
                            + "target linear layers, or use lora on embeddings",
                    error.getMessage());
            assertTrue(peft.layers().isEmpty(), "nothing was half added");
            assertEquals(
                    List.of("1"),
                    TargetModules.allLinear().select(layers, null).stream()
                            .map(ModuleTree.Layer::path)
                            .toList(),
                    "all-linear never takes an embedding");
        }
    }
}
