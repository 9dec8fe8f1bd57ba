package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonPrimitive;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.PeftException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA adapter with {@code lora_bias} merges as PEFT merges it: {@code W ← W + s·B·A} and {@code
 * b ← b + s·lora_B.bias}, computed here in double.
 */
class LoraBiasMergeTest {

    private static final int D = 6;
    private static final int K = 8;
    private static final int R = 2;
    private static final double SCALING = 4.0 / R;

    @TempDir
    Path dir;

    private final Random random = new Random(13);
    private final float[] w = MergeFiles.exact(random, D * K, 0.5f);
    private final float[] bias = MergeFiles.exact(random, D, 0.5f);
    private final float[] a = MergeFiles.gaussian(random, R * K, 1);
    private final float[] b = MergeFiles.gaussian(random, D * R, 1);
    private final float[] bBias = MergeFiles.gaussian(random, D, 1);

    private Path adapter() {
        return MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(R)
                        .optLoraAlpha(4)
                        .setTargetModules(List.of("q"))
                        .optOtherKeys(Map.of("lora_bias", new JsonPrimitive(true)))
                        .build(),
                List.of(
                        MergeFiles.floats("h.q.lora_A.weight", SafetensorsDtype.F32, a, R, K),
                        MergeFiles.floats("h.q.lora_B.weight", SafetensorsDtype.F32, b, D, R),
                        MergeFiles.floats("h.q.lora_B.bias", SafetensorsDtype.F32, bBias, D)));
    }

    @Test
    void theWeightAndTheBiasAreMerged() {
        Path base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(
                        MergeFiles.floats("h.q.weight", SafetensorsDtype.F32, w, D, K),
                        MergeFiles.floats("h.q.bias", SafetensorsDtype.F32, bias, D)),
                Map.of());
        Path output = dir.resolve("merged.safetensors");
        StreamingMerge.Summary summary;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            summary = StreamingMerge.merge(base, adapter(), output, manager, StreamingMerge.Options.defaults());
        }
        assertEquals(new StreamingMerge.Summary(1, 0, 0), summary, "the weight merged, the bias with it");
        try (SafetensorsFile out = SafetensorsFile.open(output)) {
            float[] mergedWeight = out.readFloats("h.q.weight");
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < K; j++) {
                    double update = 0;
                    for (int t = 0; t < R; t++) {
                        update += b[i * R + t] * a[t * K + j];
                    }
                    assertEquals(
                            w[i * K + j] + SCALING * update, mergedWeight[i * K + j], 1e-5, "W[" + i + "," + j + "]");
                }
            }
            float[] mergedBias = out.readFloats("h.q.bias");
            for (int i = 0; i < D; i++) {
                assertEquals(bias[i] + SCALING * bBias[i], mergedBias[i], 1e-6, "b[" + i + "]");
            }
        }
    }

    @Test
    void aBaseWithoutTheBiasIsRefusedNamingIt() {
        Path base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(MergeFiles.floats("h.q.weight", SafetensorsDtype.F32, w, D, K)),
                Map.of());
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            String message = assertThrows(
                            PeftException.class,
                            () -> StreamingMerge.merge(
                                    base,
                                    adapter(),
                                    dir.resolve("merged.safetensors"),
                                    manager,
                                    StreamingMerge.Options.defaults()))
                    .getMessage();
            assertTrue(message.contains("has no tensor 'h.q.bias' for the bias term of adapted module 'h.q'"), message);
        }
    }
}
