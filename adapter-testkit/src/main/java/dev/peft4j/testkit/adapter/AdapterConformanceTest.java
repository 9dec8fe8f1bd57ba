package dev.peft4j.testkit.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import dev.peft4j.core.AdaptedLayer;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.core.train.GcSafeL2Loss;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.spi.Adapter;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The behaviour every adapter method must show, run on every engine. A plugin module's test
 * extends this class and says which configuration to use and how many parameters it trains.
 *
 * <p>The model is an MLP 6 → 7 → 5 with adapters on both linear layers, so d ≠ k in each.
 *
 * <p>Where a method legitimately differs, a subclass overrides a hook instead of skipping a test:
 * {@link #supportsRestart()} for a method without {@link Adapter#restart()}, {@link
 * #mergeTolerance()} for one whose merged and unmerged forwards round differently, {@link #plugins()}
 * for an adapter outside the default registry.
 */
public abstract class AdapterConformanceTest {

    private static final int[] WIDTHS = {6, 7, 5};

    /** For subclasses. */
    protected AdapterConformanceTest() {}

    /**
     * The configuration under test.
     *
     * @return the configuration
     */
    protected abstract AdapterConfig config();

    /**
     * The trainable values of one adapted layer.
     *
     * @param outFeatures d
     * @param inFeatures k
     * @return the count
     */
    protected abstract long expectedTrainableParameters(int outFeatures, int inFeatures);

    /**
     * The registry the adapter is looked up in.
     *
     * @return the registry
     */
    protected Plugins plugins() {
        return Plugins.defaults();
    }

    /**
     * Whether the method supports {@link Adapter#restart()} (ReLoRA/ReMoRA-style merge-and-restart
     * cycles). The restart test runs when it does and is skipped otherwise; the default is {@code
     * true}, so a method that cannot restart opts out.
     *
     * @return whether restarts are supported
     */
    protected boolean supportsRestart() {
        return true;
    }

    /**
     * The largest absolute difference allowed between the merged and the unmerged forward, and
     * between the outputs before and after a restart.
     *
     * @return the tolerance; {@code 1e-5} unless overridden
     */
    protected double mergeTolerance() {
        return 1e-5;
    }

    private PeftModel adapted(NDManager manager) {
        PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 11, WIDTHS), plugins());
        peft.addAdapter("default", config(), TargetModules.regex(".*"));
        return peft;
    }

    private static void randomizeAdapters(PeftModel peft, long seed) {
        Random random = new Random(seed);
        for (AdaptedLayer layer : peft.layers().values()) {
            for (Adapter adapter : layer.adapters().values()) {
                TestModels.randomize(adapter, random, 0.5);
            }
        }
    }

    private static NDArray input(NDManager manager) {
        return Dense.toArray(manager, Dense.random(new Random(5), 4, WIDTHS[0]));
    }

    /** A fresh adapter changes nothing. */
    @ParameterizedTest
    @EngineSource
    void zeroInitialisationIsTheIdentity(EngineBinding engine) {
        try (NDManager manager = backend(engine).newManager()) {
            NDArray x = input(manager);
            PeftModel peft = PeftModel.wrap(TestModels.mlp(manager, 11, WIDTHS), plugins());
            double[][] base = Dense.fromArray(TestModels.predict(peft.block(), x));
            peft.addAdapter("default", config(), TargetModules.regex(".*"));
            double[][] wrapped = Dense.fromArray(TestModels.predict(peft.block(), x));
            Dense.assertClose(base, wrapped, 1e-6, "output with a fresh adapter");
            for (AdaptedLayer layer : peft.layers().values()) {
                Adapter adapter = layer.adapters().get("default");
                double[][] delta =
                        Dense.fromArray(adapter.deltaWeight(layer.weight().getArray()));
                Dense.assertClose(new double[delta.length][delta[0].length], delta, 1e-7, "fresh ΔW");
            }
        }
    }

    /** {@code x·W0ᵀ + adapter(x) == x·(W0 + ΔW)ᵀ}: the unmerged and merged forwards agree. */
    @ParameterizedTest
    @EngineSource
    void mergedForwardEqualsUnmergedForward(EngineBinding engine) {
        try (NDManager manager = backend(engine).newManager()) {
            NDArray x = input(manager);
            PeftModel peft = adapted(manager);
            randomizeAdapters(peft, 3);
            double[][] unmerged = Dense.fromArray(TestModels.predict(peft.block(), x));
            peft.merge();
            double[][] merged = Dense.fromArray(TestModels.predict(peft.block(), x));
            Dense.assertClose(unmerged, merged, mergeTolerance(), "merged vs unmerged output");
        }
    }

    /** Merge then unmerge gives W0 back to fp32 round-off. */
    @ParameterizedTest
    @EngineSource
    void unmergeRestoresTheBaseWeights(EngineBinding engine) {
        try (NDManager manager = backend(engine).newManager()) {
            PeftModel peft = adapted(manager);
            randomizeAdapters(peft, 4);
            Map<String, double[][]> before = new HashMap<>();
            peft.layers()
                    .forEach((path, layer) ->
                            before.put(path, Dense.fromArray(layer.weight().getArray())));
            peft.merge();
            peft.layers()
                    .forEach((path, layer) -> assertTrue(
                            Dense.maxDifference(
                                            before.get(path),
                                            Dense.fromArray(layer.weight().getArray()))
                                    > 1e-3,
                            "merging changed " + path));
            peft.unmerge();
            peft.layers()
                    .forEach((path, layer) -> Dense.assertClose(
                            before.get(path), Dense.fromArray(layer.weight().getArray()), 1e-6, "W0 of " + path));
        }
    }

    /** The trainable count is what the method promises, per layer. */
    @ParameterizedTest
    @EngineSource
    void trainableParameterCountMatches(EngineBinding engine) {
        try (NDManager manager = backend(engine).newManager()) {
            PeftModel peft = adapted(manager);
            long expected = 0;
            for (AdaptedLayer layer : peft.layers().values()) {
                long perLayer = expectedTrainableParameters(layer.outFeatures(), layer.inFeatures());
                assertEquals(perLayer, layer.adapters().get("default").trainableParameterCount(), layer.path());
                expected += perLayer;
            }
            assertEquals(expected, peft.parameterReport().trainable());
        }
    }

    /** A training step changes every adapter parameter and leaves the base bit-identical. */
    @ParameterizedTest
    @EngineSource
    void aTrainingStepChangesOnlyAdapterParameters(EngineBinding engine) {
        try (Model model = backend(engine).newModel("conformance")) {
            PeftModel peft = adapted(model.getNDManager());
            randomizeAdapters(peft, 6);
            Map<Parameter, float[]> frozen = new HashMap<>();
            Map<Parameter, float[]> trainable = new HashMap<>();
            peft.block()
                    .getParameters()
                    .values()
                    .forEach(p -> (p.requiresGradient() ? trainable : frozen).put(p, TestModels.values(p)));
            assertFalse(trainable.isEmpty());
            model.setBlock(peft.block());
            try (Trainer trainer = model.newTrainer(trainingConfig(0.02f))) {
                step(trainer, model.getNDManager(), 1);
            }
            frozen.forEach((p, values) -> assertArrayEquals(values, TestModels.values(p), p.getName() + " is frozen"));
            trainable.forEach((p, values) ->
                    assertFalse(Arrays.equals(values, TestModels.values(p)), p.getName() + " was trained"));
        }
    }

    /**
     * A merge-and-restart keeps the layer's output, leaves every adapter at ΔW = 0, and the adapter's
     * parameters still train afterwards while the (new) base stays frozen. Skipped where {@link
     * #supportsRestart()} is false.
     */
    @ParameterizedTest
    @EngineSource
    void restartKeepsTheOutputAndStartsTheUpdateAgainFromZero(EngineBinding engine) {
        assumeTrue(supportsRestart(), "the method does not support restarts");
        try (Model model = backend(engine).newModel("conformance")) {
            NDManager manager = model.getNDManager();
            PeftModel peft = adapted(manager);
            randomizeAdapters(peft, 9);
            NDArray x = input(manager);
            double[][] before = Dense.fromArray(TestModels.predict(peft.block(), x));
            peft.mergeAndRestart("default");
            Dense.assertClose(
                    before,
                    Dense.fromArray(TestModels.predict(peft.block(), x)),
                    mergeTolerance(),
                    "output after a restart");
            for (AdaptedLayer layer : peft.layers().values()) {
                Adapter adapter = layer.adapters().get("default");
                double[][] delta =
                        Dense.fromArray(adapter.deltaWeight(layer.weight().getArray()));
                Dense.assertClose(
                        new double[delta.length][delta[0].length],
                        delta,
                        1e-7,
                        "ΔW after a restart of " + layer.path());
            }
            Map<Parameter, float[]> frozen = new HashMap<>();
            Map<Parameter, float[]> trainable = new HashMap<>();
            peft.block()
                    .getParameters()
                    .values()
                    .forEach(p -> (p.requiresGradient() ? trainable : frozen).put(p, TestModels.values(p)));
            assertFalse(trainable.isEmpty());
            model.setBlock(peft.block());
            try (Trainer trainer = model.newTrainer(trainingConfig(0.02f))) {
                step(trainer, manager, 1);
            }
            frozen.forEach((p, values) -> assertArrayEquals(values, TestModels.values(p), p.getName() + " is frozen"));
            trainable.forEach((p, values) ->
                    assertFalse(Arrays.equals(values, TestModels.values(p)), p.getName() + " trains after a restart"));
        }
    }

    /** A few steps on a small regression task lower the loss. */
    @ParameterizedTest
    @EngineSource
    void trainingLowersTheLoss(EngineBinding engine) {
        try (Model model = backend(engine).newModel("conformance")) {
            PeftModel peft = adapted(model.getNDManager());
            model.setBlock(peft.block());
            try (Trainer trainer = model.newTrainer(trainingConfig(0.02f))) {
                float first = step(trainer, model.getNDManager(), 1);
                float last = first;
                for (int i = 0; i < 40; i++) {
                    last = step(trainer, model.getNDManager(), 1);
                }
                assertTrue(last < 0.8f * first, "loss went from " + first + " to " + last);
            }
        }
    }

    /** Save then load gives every adapter value back bit for bit, and the same outputs. */
    @ParameterizedTest
    @EngineSource
    void saveThenLoadIsBitIdentical(EngineBinding engine, @TempDir Path dir) throws IOException {
        try (NDManager manager = backend(engine).newManager()) {
            PeftModel saved = adapted(manager);
            randomizeAdapters(saved, 8);
            PeftAdapters.save(saved, "default", dir.resolve("adapter"), PathMap.identity(), "test-mlp");
            PeftModel loaded = PeftModel.wrap(TestModels.mlp(manager, 11, WIDTHS), plugins());
            PeftAdapters.load(loaded, "default", dir.resolve("adapter"), PathMap.identity());
            for (Map.Entry<String, AdaptedLayer> layer : saved.layers().entrySet()) {
                Adapter original = layer.getValue().adapters().get("default");
                Adapter copy = loaded.layers().get(layer.getKey()).adapters().get("default");
                assertEquals(
                        original.peftParameters().keySet(),
                        copy.peftParameters().keySet());
                original.peftParameters()
                        .forEach((name, parameter) -> assertArrayEquals(
                                TestModels.values(parameter),
                                TestModels.values(copy.peftParameters().get(name)),
                                layer.getKey() + "." + name));
            }
            NDArray x = input(manager);
            assertArrayEquals(
                    TestModels.predict(saved.block(), x).toFloatArray(),
                    TestModels.predict(loaded.block(), x).toFloatArray(),
                    "same outputs");
            PeftAdapters.save(loaded, "default", dir.resolve("again"), PathMap.identity(), "test-mlp");
            for (String file : List.of("adapter_model.safetensors", "adapter_config.json")) {
                assertArrayEquals(
                        Files.readAllBytes(dir.resolve("adapter").resolve(file)),
                        Files.readAllBytes(dir.resolve("again").resolve(file)),
                        file + " is written identically");
            }
        }
    }

    private static Backend backend(EngineBinding engine) {
        return new Backend(engine, ai.djl.Device.cpu());
    }

    /** AdamW through DJL's Trainer, which on MXNet updates through its parameter server. */
    private static DefaultTrainingConfig trainingConfig(float learningRate) {
        return new DefaultTrainingConfig(new GcSafeL2Loss())
                .optOptimizer(RestartableAdamW.builder()
                        .optLearningRateTracker(Tracker.fixed(learningRate))
                        .build());
    }

    /** One SGD step on a fixed regression batch (targets from a fixed random linear map); returns the loss. */
    private static float step(Trainer trainer, NDManager parent, long seed) {
        try (NDManager manager = parent.newSubManager()) {
            Random random = new Random(seed);
            double[][] x = Dense.random(random, 16, WIDTHS[0]);
            double[][] y = Dense.matmul(x, Dense.random(random, WIDTHS[0], WIDTHS[2]));
            NDArray input = Dense.toArray(manager, x);
            NDArray target = Dense.toArray(manager, y);
            float loss;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray prediction = trainer.forward(new NDList(input)).singletonOrThrow();
                NDArray value = trainer.getLoss().evaluate(new NDList(target), new NDList(prediction));
                collector.backward(value);
                loss = value.getFloat();
            }
            trainer.step();
            return loss;
        }
    }
}
