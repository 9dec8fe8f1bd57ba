package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.cli.MergeFiles.Tensor;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.PeftFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The two real PEFT adapters merged into synthetic bases with their models' tensor names and
 * shapes equal W0 + 2·B·A (α/r = 16/8), transposed for GPT-2's Conv1D weights stored (in, out),
 * with A and B decoded by the test from the adapter file's bytes; saved tensors replace theirs.
 */
class FixtureMergeTest {

    private static final int HIDDEN = 768;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EngineSource
    void gpt2CattnWeightsStoredInOut(EngineBinding engine) throws IOException {
        Path adapter = PeftFixtures.adapter(PeftFixtures.GPT2);
        List<Tensor> base = new ArrayList<>();
        for (int layer = 0; layer < 12; layer++) {
            base.add(floats(
                    gpt2Weight(layer), SafetensorsDtype.F32, w0(layer, HIDDEN * 3 * HIDDEN), HIDDEN, 3 * HIDDEN));
        }
        base.add(floats("transformer.h.0.attn.c_attn.bias", SafetensorsDtype.F32, w0(20, 3 * HIDDEN), 3 * HIDDEN));
        base.add(floats("score.weight", SafetensorsDtype.F32, w0(21, 2 * HIDDEN), 2, HIDDEN));
        Path output = merge(engine, base, adapter);

        Map<String, float[]> file = PeftFixtures.decodeIndependently(adapter.resolve(AdapterDirectory.WEIGHTS_FILE));
        try (SafetensorsFile merged = SafetensorsFile.open(output)) {
            for (int layer = 0; layer < 12; layer++) {
                String module = "base_model.model.transformer.h." + layer + ".attn.c_attn";
                float[] a = file.get(module + ".lora_A.weight");
                float[] b = file.get(module + ".lora_B.weight");
                float[] w0 = w0(layer, HIDDEN * 3 * HIDDEN);
                float[] actual = merged.readFloats(gpt2Weight(layer));
                for (int in = 0; in < HIDDEN; in++) {
                    for (int out = 0; out < 3 * HIDDEN; out++) {
                        double delta = 0;
                        for (int r = 0; r < 8; r++) {
                            delta += (double) b[out * 8 + r] * a[r * HIDDEN + in];
                        }
                        int stored = in * 3 * HIDDEN + out;
                        assertClose(w0[stored] + 2 * delta, actual[stored], gpt2Weight(layer), stored);
                    }
                }
            }
            assertArrayEquals(w0(20, 3 * HIDDEN), merged.readFloats("transformer.h.0.attn.c_attn.bias"));
            assertArrayEquals(file.get("base_model.model.score.weight"), merged.readFloats("score.weight"));
        }
    }

    @ParameterizedTest
    @EngineSource
    void distilbertQueryAndValueProjections(EngineBinding engine) throws IOException {
        Path adapter = PeftFixtures.adapter(PeftFixtures.DISTILBERT);
        List<Tensor> base = new ArrayList<>();
        for (int layer = 0; layer < 6; layer++) {
            for (int projection = 0; projection < 2; projection++) {
                base.add(floats(
                        distilbertWeight(layer, projection),
                        SafetensorsDtype.F32,
                        w0(2 * layer + projection, HIDDEN * HIDDEN),
                        HIDDEN,
                        HIDDEN));
            }
        }
        base.add(MergeFiles.longs("distilbert.embeddings.position_ids", new long[] {0, 1, 2, 3}, 1, 4));
        base.add(floats("pre_classifier.weight", SafetensorsDtype.F32, w0(30, HIDDEN * HIDDEN), HIDDEN, HIDDEN));
        base.add(floats("pre_classifier.bias", SafetensorsDtype.F32, w0(31, HIDDEN), HIDDEN));
        base.add(floats("classifier.weight", SafetensorsDtype.F32, w0(32, 2 * HIDDEN), 2, HIDDEN));
        base.add(floats("classifier.bias", SafetensorsDtype.F32, w0(33, 2), 2));
        Path output = merge(engine, base, adapter);

        Map<String, float[]> file = PeftFixtures.decodeIndependently(adapter.resolve(AdapterDirectory.WEIGHTS_FILE));
        try (SafetensorsFile merged = SafetensorsFile.open(output)) {
            for (int layer = 0; layer < 6; layer++) {
                for (int projection = 0; projection < 2; projection++) {
                    String name = distilbertWeight(layer, projection);
                    String module = "base_model.model." + name.substring(0, name.length() - ".weight".length());
                    float[] a = file.get(module + ".lora_A.weight");
                    float[] b = file.get(module + ".lora_B.weight");
                    float[] w0 = w0(2 * layer + projection, HIDDEN * HIDDEN);
                    float[] actual = merged.readFloats(name);
                    for (int out = 0; out < HIDDEN; out++) {
                        for (int in = 0; in < HIDDEN; in++) {
                            double delta = 0;
                            for (int r = 0; r < 8; r++) {
                                delta += (double) b[out * 8 + r] * a[r * HIDDEN + in];
                            }
                            int index = out * HIDDEN + in;
                            assertClose(w0[index] + 2 * delta, actual[index], name, index);
                        }
                    }
                }
            }
            for (String saved :
                    List.of("pre_classifier.weight", "pre_classifier.bias", "classifier.weight", "classifier.bias")) {
                assertArrayEquals(file.get("base_model.model." + saved), merged.readFloats(saved), saved);
            }
            assertEquals(
                    SafetensorsDtype.I64,
                    merged.tensor("distilbert.embeddings.position_ids").dtype());
        }
    }

    private Path merge(EngineBinding engine, List<Tensor> base, Path adapter) {
        Path basePath = MergeFiles.write(dir.resolve("model.safetensors"), base, Map.of());
        Path output = dir.resolve("merged.safetensors");
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            StreamingMerge.merge(basePath, adapter, output, manager, StreamingMerge.Options.defaults());
        }
        return output;
    }

    private static String gpt2Weight(int layer) {
        return "transformer.h." + layer + ".attn.c_attn.weight";
    }

    private static String distilbertWeight(int layer, int projection) {
        return "distilbert.transformer.layer." + layer + ".attention." + (projection == 0 ? "q_lin" : "v_lin")
                + ".weight";
    }

    /** A base tensor's values in [−0.02, 0.02), the same on every call with the same seed; quick to make. */
    private static float[] w0(int seed, int count) {
        float[] values = new float[count];
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < count; i++) {
            state = state * 6364136223846793005L + 1442695040888963407L;
            values[i] = ((state >>> 40) / (float) (1 << 24) - 0.5f) * 0.04f;
        }
        return values;
    }

    private static void assertClose(double expected, float actual, String name, int index) {
        if (Math.abs(actual - expected) > 1e-6 + 1e-5 * Math.abs(expected)) {
            fail(name + "[" + index + "]: expected " + expected + ", got " + actual);
        }
    }
}
