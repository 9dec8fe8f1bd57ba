package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA on an embedding, as PEFT stores it ({@code lora_embedding_A} (r, V), {@code
 * lora_embedding_B} (D, r)), merges as PEFT merges it: {@code E ← E + s·(B·A)ᵀ}, computed here in
 * double; a LoRA on a convolution is refused naming the module.
 */
class EmbeddingLoraMergeTest {

    private static final int VOCABULARY = 10;
    private static final int DIM = 6;
    private static final int R = 2;
    private static final double SCALING = 8.0 / R;

    @TempDir
    Path dir;

    @Test
    void theTableGetsTheTransposedUpdate() {
        Random random = new Random(17);
        float[] table = MergeFiles.exact(random, VOCABULARY * DIM, 0.5f);
        float[] a = MergeFiles.gaussian(random, R * VOCABULARY, 1);
        float[] b = MergeFiles.gaussian(random, DIM * R, 1);
        Path base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(MergeFiles.floats("model.embed_tokens.weight", SafetensorsDtype.F32, table, VOCABULARY, DIM)),
                Map.of());
        Path adapter = MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(R)
                        .optLoraAlpha(8)
                        .setTargetModules(List.of("embed_tokens"))
                        .build(),
                List.of(
                        MergeFiles.floats(
                                "model.embed_tokens.lora_embedding_A", SafetensorsDtype.F32, a, R, VOCABULARY),
                        MergeFiles.floats("model.embed_tokens.lora_embedding_B", SafetensorsDtype.F32, b, DIM, R)));
        Path output = dir.resolve("merged.safetensors");
        CommandRunner.Result result = CommandRunner.run(
                "merge", "--base", base.toString(), "--adapter", adapter.toString(), "--out", output.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("1 weight merged"), result.out());
        try (SafetensorsFile out = SafetensorsFile.open(output)) {
            float[] merged = out.readFloats("model.embed_tokens.weight");
            for (int token = 0; token < VOCABULARY; token++) {
                for (int j = 0; j < DIM; j++) {
                    double update = 0;
                    for (int t = 0; t < R; t++) {
                        update += b[j * R + t] * a[t * VOCABULARY + token];
                    }
                    assertEquals(
                            table[token * DIM + j] + SCALING * update,
                            merged[token * DIM + j],
                            1e-5,
                            "E[" + token + ", " + j + "]");
                }
            }
        }

        CommandRunner.Result inspect = CommandRunner.run("inspect", adapter.toString());
        assertTrue(
                inspect.out().matches("(?s).*  model\\.embed_tokens +2 +4\\.0 +\\(2, 10\\) +\\(6, 2\\) +6 +10 +32\n.*"),
                inspect.out());
    }

    @Test
    void aConvolutionIsRefusedNamingTheModule() {
        Path adapter = MergeFiles.adapter(
                dir.resolve("conv"),
                PeftAdapterConfig.builder()
                        .setR(R)
                        .setTargetModules(List.of("conv1"))
                        .build(),
                List.of(
                        MergeFiles.floats("conv1.lora_A.weight", SafetensorsDtype.F32, new float[R * 27], R, 3, 3, 3),
                        MergeFiles.floats("conv1.lora_B.weight", SafetensorsDtype.F32, new float[8 * R], 8, R, 1, 1)));
        Path base = MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(MergeFiles.floats("conv1.weight", SafetensorsDtype.F32, new float[8 * 27], 8, 3, 3, 3)),
                Map.of());
        CommandRunner.Result result = CommandRunner.run(
                "merge",
                "--base",
                base.toString(),
                "--adapter",
                adapter.toString(),
                "--out",
                dir.resolve("merged.safetensors").toString());
        assertEquals(1, result.status());
        assertTrue(
                result.err()
                        .contains("module 'conv1': is a convolution (lora_A.weight has shape (2, 3, 3, 3)): peft4j"
                                + " does not support LoRA on convolutional layers"),
                result.err());
    }
}
