package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Merges compute in the wider of the base's and the adapter's dtypes: an F64 base keeps float64
 * precision (rows the update leaves alone stay bit for bit), and an F64 adapter on an F32 base is
 * added in float64 and rounded once. Expected values are W0 + s·B·A computed here in double.
 */
class WideMergeTest {

    private static final int D = 6;
    private static final int K = 8;
    private static final int R = 2;
    private static final int TOUCHED_ROWS = 3;

    @TempDir
    Path dir;

    private final Random random = new Random(21);

    private double[] gaussian(int count) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextGaussian();
        }
        return values;
    }

    /** B with only its first {@link #TOUCHED_ROWS} rows non-zero, so ΔW leaves the other rows alone. */
    private double[] partialB() {
        double[] b = gaussian(D * R);
        for (int i = TOUCHED_ROWS * R; i < b.length; i++) {
            b[i] = 0;
        }
        return b;
    }

    private static double[] expected(double[] w, double[] a, double[] b) {
        double[] merged = w.clone();
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < K; j++) {
                double sum = 0;
                for (int t = 0; t < R; t++) {
                    sum += b[i * R + t] * a[t * K + j];
                }
                merged[i * K + j] += sum;
            }
        }
        return merged;
    }

    private static float[] rounded(double[] values) {
        float[] floats = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            floats[i] = (float) values[i];
        }
        return floats;
    }

    private static double[] widened(float[] values) {
        double[] doubles = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            doubles[i] = values[i];
        }
        return doubles;
    }

    private SafetensorsFile merge(
            EngineBinding engine, MergeFiles.Tensor weight, MergeFiles.Tensor a, MergeFiles.Tensor b) {
        Path base = MergeFiles.write(dir.resolve("model.safetensors"), List.of(weight), Map.of());
        Path adapter = MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(R)
                        .optLoraAlpha(R)
                        .setTargetModules(List.of("q"))
                        .build(),
                List.of(a, b));
        Path output = dir.resolve("merged.safetensors");
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            StreamingMerge.merge(base, adapter, output, manager, StreamingMerge.Options.defaults());
        }
        return SafetensorsFile.open(output);
    }

    @ParameterizedTest
    @EngineSource
    void anF64BaseIsMergedInFloat64AndUntouchedRowsStayBitForBit(EngineBinding engine) {
        double[] w = gaussian(D * K);
        float[] a = rounded(gaussian(R * K));
        float[] b = rounded(partialB());
        double[] want = expected(w, widened(a), widened(b));
        try (SafetensorsFile out = merge(
                engine,
                MergeFiles.doubles("h.q.weight", w, D, K),
                MergeFiles.floats("h.q.lora_A.weight", SafetensorsDtype.F32, a, R, K),
                MergeFiles.floats("h.q.lora_B.weight", SafetensorsDtype.F32, b, D, R))) {
            assertEquals(SafetensorsDtype.F64, out.tensor("h.q.weight").dtype());
            DoubleBuffer merged =
                    out.readBytes("h.q.weight").order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer();
            for (int i = 0; i < D * K; i++) {
                if (i / K >= TOUCHED_ROWS) {
                    assertEquals(
                            Double.doubleToRawLongBits(w[i]),
                            Double.doubleToRawLongBits(merged.get(i)),
                            "untouched element " + i + " is the base's, bit for bit");
                } else {
                    assertEquals(want[i], merged.get(i), 1e-12 * Math.max(1, Math.abs(want[i])), "element " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @EngineSource
    void anF64AdapterOnAnF32BaseIsAddedInFloat64AndRoundedOnce(EngineBinding engine) {
        float[] w = rounded(gaussian(D * K));
        double[] a = gaussian(R * K);
        double[] b = partialB();
        double[] want = expected(widened(w), a, b);
        try (SafetensorsFile out = merge(
                engine,
                MergeFiles.floats("h.q.weight", SafetensorsDtype.F32, w, D, K),
                MergeFiles.doubles("h.q.lora_A.weight", a, R, K),
                MergeFiles.doubles("h.q.lora_B.weight", b, D, R))) {
            assertEquals(SafetensorsDtype.F32, out.tensor("h.q.weight").dtype());
            float[] merged = out.readFloats("h.q.weight");
            for (int i = 0; i < D * K; i++) {
                float once = (float) want[i];
                assertTrue(
                        Math.abs(merged[i] - once) <= Math.ulp(once),
                        "element " + i + ": " + merged[i] + " vs " + once + " (one rounding of the float64 sum)");
            }
        }
    }
}
