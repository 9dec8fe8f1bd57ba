package dev.peft4j.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every adapter/operator combination, the engines agree: the same weights and input give the
 * same outputs and ΔW on each, and an adapter trained and saved on one engine loads and runs on each
 * other with the same outputs. The largest differences are printed after the run.
 */
class CrossEngineParityIT {

    private static final double TOLERANCE = 1e-5;
    private static final int TRAINING_STEPS = 5;
    private static final Map<String, String> SAME_WEIGHTS = new TreeMap<>();
    private static final Map<String, String> MOVED = new TreeMap<>();

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.peft4j.it.Matrix#combinations")
    void theSameWeightsGiveTheSameOutputsAndDeltaWeights(Combination combination) {
        List<EngineBinding> engines = usableEngines();
        float[] referenceOutput = null;
        Map<String, float[]> referenceDeltas = null;
        double outputDifference = 0;
        double deltaDifference = 0;
        for (EngineBinding engine : engines) {
            try (NDManager manager = new Backend(engine, Device.cpu()).newManager()) {
                PeftModel peft = Mlp.adapted(manager, combination.config(), ItPlugins.registry());
                Mlp.randomizeAdapters(peft, 11);
                float[] output = Mlp.predict(peft, Mlp.input(manager, 5, 8));
                Map<String, float[]> deltas = Mlp.deltaWeights(peft);
                if (referenceOutput == null) {
                    referenceOutput = output;
                    referenceDeltas = deltas;
                    continue;
                }
                String what = combination + " on " + engine + " vs " + engines.get(0);
                outputDifference = Math.max(
                        outputDifference, Close.assertClose(referenceOutput, output, TOLERANCE, what + ": output"));
                for (Map.Entry<String, float[]> delta : referenceDeltas.entrySet()) {
                    deltaDifference = Math.max(
                            deltaDifference,
                            Close.assertClose(
                                    delta.getValue(),
                                    deltas.get(delta.getKey()),
                                    TOLERANCE,
                                    what + ": ΔW of layer " + delta.getKey()));
                }
            }
        }
        report(SAME_WEIGHTS, combination, String.format("output %.1e  ΔW %.1e", outputDifference, deltaDifference));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.peft4j.it.Matrix#combinations")
    void anAdapterTrainedOnOneEngineLoadsAndRunsOnTheOthers(Combination combination, @TempDir Path dir) {
        Plugins plugins = ItPlugins.registry();
        StringBuilder line = new StringBuilder();
        for (EngineBinding from : usableEngines()) {
            Path saved = dir.resolve(from.name());
            float[] expected;
            try (Model model = new Backend(from, Device.cpu()).newModel("parity")) {
                PeftModel peft = Mlp.adapted(model.getNDManager(), combination.config(), plugins);
                try (Training training = new Training(model, peft)) {
                    training.steps(TRAINING_STEPS);
                }
                expected = Mlp.predict(peft, Mlp.input(model.getNDManager(), 9, 8));
                PeftAdapters.save(peft, Mlp.ADAPTER, saved, PathMap.identity(), "integration-tests-mlp");
            }
            for (EngineBinding to : usableEngines()) {
                if (to == from) {
                    continue;
                }
                try (NDManager manager = new Backend(to, Device.cpu()).newManager()) {
                    PeftModel loaded = Mlp.wrap(manager, plugins);
                    PeftAdapters.load(loaded, Mlp.ADAPTER, saved, PathMap.identity());
                    double difference = Close.assertClose(
                            expected,
                            Mlp.predict(loaded, Mlp.input(manager, 9, 8)),
                            TOLERANCE,
                            combination + " trained on " + from + ", loaded on " + to);
                    line.append(String.format("  %s→%s %.1e", from, to, difference));
                }
            }
        }
        report(MOVED, combination, "trained, saved and loaded:" + line);
    }

    private static List<EngineBinding> usableEngines() {
        List<EngineBinding> engines = Matrix.engines(ItPlugins.registry());
        assumeTrue(engines.size() >= 2, "parity needs two usable engines, found " + engines);
        return engines;
    }

    private static synchronized void report(Map<String, String> report, Combination combination, String result) {
        report.put(combination.label(), result);
    }

    @AfterAll
    static void printTheLargestDifferences() {
        System.out.println("cross-engine parity, max |difference| (tolerance " + TOLERANCE + " relative):");
        SAME_WEIGHTS.forEach((combination, result) ->
                System.out.printf("  %-30s %s  %s%n", combination, result, MOVED.getOrDefault(combination, "")));
    }
}
