package dev.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.train.RestartableAdamW;
import dev.peft4j.models.CausalLm;
import dev.peft4j.spi.InPlace;
import dev.peft4j.testkit.TestModels;
import dev.peft4j.train.data.Batch;
import dev.peft4j.train.data.Batches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gradient an {@link OptimizerStep} hands to AdamW, read back from the first moment after one
 * step from cleared state ({@code m = (1 − β1)·g}, β1 = 0.9), on stories260k with LoRA: summed over
 * micro-batches, clipped to the global norm, and not carried into the next step.
 */
class OptimizerStepTest {

    private static final double BETA1 = 0.9;
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path dir;

    /**
     * The model with a LoRA adapter (perturbed so every gradient is non-zero), its starting values,
     * two batches, and one AdamW and one step per clipping norm, reused by every call as training
     * reuses them.
     */
    private static final class Fixture implements AutoCloseable {
        private final CausalLm lm;
        private final List<Parameter> parameters;
        private final List<float[]> start;
        private final Batch first;
        private final Batch second;
        private final RestartableAdamW optimizer = RestartableAdamW.builder().build();
        private final Map<Float, OptimizerStep> steps = new HashMap<>();

        private Fixture(CausalLm lm, List<Parameter> parameters, List<float[]> start, Batch first, Batch second) {
            this.lm = lm;
            this.parameters = parameters;
            this.start = start;
            this.first = first;
            this.second = second;
        }

        /** One step from the starting values with cleared AdamW state; the gradient per parameter, flattened. */
        double[] gradient(float maxGradNorm, long trainedTokens, Batch... micro) {
            for (int i = 0; i < parameters.size(); i++) {
                InPlace.copy(start.get(i), parameters.get(i).getArray());
                optimizer.clearState(parameters.get(i).getId());
            }
            steps.computeIfAbsent(maxGradNorm, norm -> new OptimizerStep(lm, parameters, optimizer, norm))
                    .run(micro, trainedTokens);
            List<Double> values = new ArrayList<>();
            for (Parameter parameter : parameters) {
                for (float mean :
                        optimizer.moments(parameter.getId()).orElseThrow().mean()) {
                    values.add(mean / (1 - BETA1));
                }
            }
            return values.stream().mapToDouble(Double::doubleValue).toArray();
        }

        @Override
        public void close() {
            optimizer.close();
        }
    }

    private Fixture fixture(CausalLm lm) throws IOException {
        FineTuneConfig config = FineTunerTest.config("lora", 3, 0, Map.of());
        lm.peft().addAdapter("default", config.adapterConfig(), TargetModules.names(config.targetModules()));
        List<Parameter> parameters =
                List.copyOf(TrainableParameters.of(lm.peft(), "default").values());
        Random random = new Random(7);
        List<float[]> start = new ArrayList<>();
        for (Parameter parameter : parameters) {
            TestModels.randomize(parameter, random, 0.05);
            start.add(parameter.getArray().toFloatArray());
        }
        List<Batch> batches = new Batches(FineTunerTest.data(lm, dir).examples(), 2, 0, 1).epoch(0);
        return new Fixture(lm, parameters, start, batches.get(0), batches.get(1));
    }

    private static double norm(double[] values) {
        double squares = 0;
        for (double value : values) {
            squares += value * value;
        }
        return Math.sqrt(squares);
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        double scale = Math.max(1e-12, norm(expected));
        double[] difference = new double[expected.length];
        for (int i = 0; i < expected.length; i++) {
            difference[i] = actual[i] - expected[i];
        }
        assertEquals(0, norm(difference) / scale, TOLERANCE, what + " (relative L2 difference)");
    }

    /**
     * Two micro-batches give the sum of their gradients, each divided by the step's trained
     * tokens; and a step leaves nothing for the next: the same step twice gives the same gradient.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pytorch", "mxnet"})
    void microBatchGradientsAreSummedAndNotCarriedOver(String engine) throws IOException {
        try (CausalLm lm = FineTunerTest.load(engine)) {
            try (Fixture fixture = fixture(lm)) {
                long tokens = fixture.first.trainedTokens() + fixture.second.trainedTokens();
                double[] first = fixture.gradient(0, tokens, fixture.first);
                double[] again = fixture.gradient(0, tokens, fixture.first);
                double[] second = fixture.gradient(0, tokens, fixture.second);
                double[] both = fixture.gradient(0, tokens, fixture.first, fixture.second);
                assertTrue(norm(first) > 0 && norm(second) > 0, "non-zero gradients");
                assertArrayEquals(first, again, 1e-6 * norm(first), engine + ": the same step twice");
                double[] sum = new double[first.length];
                for (int i = 0; i < sum.length; i++) {
                    sum[i] = first[i] + second[i];
                }
                assertClose(sum, both, engine + ": two micro-batches against the sum of each one's gradient");
            }
        }
    }

    /** With maxGradNorm c below the gradient's norm N the gradient is scaled by c / (N + 1e-6); above, kept. */
    @ParameterizedTest
    @ValueSource(strings = {"pytorch", "mxnet"})
    void gradientsAreClippedToTheGlobalNorm(String engine) throws IOException {
        try (CausalLm lm = FineTunerTest.load(engine)) {
            try (Fixture fixture = fixture(lm)) {
                long tokens = fixture.first.trainedTokens();
                double[] unclipped = fixture.gradient(0, tokens, fixture.first);
                double norm = norm(unclipped);
                float limit = (float) (norm / 4);
                double[] clipped = fixture.gradient(limit, tokens, fixture.first);
                double[] expected = new double[unclipped.length];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = unclipped[i] * limit / (norm + 1e-6);
                }
                assertClose(expected, clipped, engine + ": clipped to a quarter of the norm");
                assertClose(unclipped, fixture.gradient((float) (4 * norm), tokens, fixture.first), engine + ": kept");
            }
        }
    }
}
