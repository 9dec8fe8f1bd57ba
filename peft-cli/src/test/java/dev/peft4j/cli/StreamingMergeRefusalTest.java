package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static dev.peft4j.cli.MergeFiles.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.cli.MergeFiles.Tensor;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.EngineSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Each way a merge is refused: the error names the tensor and what was expected, and neither the
 * output nor a temporary file is left (an output that existed is unchanged).
 */
class StreamingMergeRefusalTest {

    private static final PeftAdapterConfig LORA = PeftAdapterConfig.builder()
            .setR(2)
            .optLoraAlpha(2)
            .setTargetModules(List.of("q", "v"))
            .build();

    @TempDir
    Path dir;

    private final Random random = new Random(5);

    private Path base(SafetensorsDtype dtype, String prefix) {
        return MergeFiles.write(
                dir.resolve("model.safetensors"),
                List.of(
                        floats(prefix + "h.0.q.weight", dtype, MergeFiles.exact(random, 48, 0.5f), 6, 8),
                        floats(prefix + "h.0.v.weight", SafetensorsDtype.F32, MergeFiles.exact(random, 48, 0.5f), 6, 8),
                        MergeFiles.longs(prefix + "position_ids", new long[] {0, 1}, 2)),
                Map.of());
    }

    private List<Tensor> lora(String module, float[] a, float[] b) {
        return List.of(
                floats(module + ".lora_A.weight", SafetensorsDtype.F32, a, 2, a.length / 2),
                floats(module + ".lora_B.weight", SafetensorsDtype.F32, b, b.length / 2, 2));
    }

    private List<Tensor> adapterTensors(float[] qa, float[] qb) {
        List<Tensor> tensors = new ArrayList<>(lora("h.0.q", qa, qb));
        tensors.addAll(lora("h.0.v", gaussian(random, 16, 0.5), gaussian(random, 12, 0.5)));
        return tensors;
    }

    private PeftException refused(EngineBinding engine, Path base, List<Tensor> tensors, String... parts)
            throws IOException {
        Path adapter = MergeFiles.adapter(dir.resolve("adapter"), LORA, tensors);
        Path output = Files.writeString(dir.resolve("merged.safetensors"), "an earlier merge");
        PeftException error;
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            error = assertThrows(
                    PeftException.class,
                    () -> StreamingMerge.merge(base, adapter, output, manager, StreamingMerge.Options.defaults()));
        }
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part), () -> "'" + error.getMessage() + "' lacks '" + part + "'");
        }
        assertEquals("an earlier merge", Files.readString(output), "the existing output is unchanged");
        assertEquals(
                List.of("adapter", "merged.safetensors", "model.safetensors"),
                MergeFiles.fileNames(dir),
                "no temporary file is left");
        return error;
    }

    @ParameterizedTest
    @EngineSource
    void aMissingTargetTensorIsNamedWithTheModule(EngineBinding engine) throws IOException {
        List<Tensor> tensors = adapterTensors(gaussian(random, 16, 0.5), gaussian(random, 12, 0.5));
        tensors.addAll(lora("h.1.q", gaussian(random, 16, 0.5), gaussian(random, 12, 0.5)));
        refused(
                engine,
                base(SafetensorsDtype.F32, ""),
                tensors,
                "model.safetensors has no tensor 'h.1.q.weight' for the weight of adapted module 'h.1.q'");
    }

    @ParameterizedTest
    @EngineSource
    void aPrefixThatDiffersIsPointedOut(EngineBinding engine) throws IOException {
        refused(
                engine,
                base(SafetensorsDtype.F32, "model."),
                adapterTensors(gaussian(random, 16, 0.5), gaussian(random, 12, 0.5)),
                "has no tensor 'h.0.q.weight'",
                "the base has 'model.h.0.q.weight'",
                "prefix rule '=model'");
    }

    @ParameterizedTest
    @EngineSource
    void aShapeThatDisagreesWithTheBaseWeightIsRefused(EngineBinding engine) throws IOException {
        refused(
                engine,
                base(SafetensorsDtype.F32, ""),
                adapterTensors(gaussian(random, 14, 0.5), gaussian(random, 12, 0.5)),
                "Adapter tensor 'base_model.model.h.0.q.lora_A.weight' has shape (2, 7)",
                "base tensor 'h.0.q.weight' of shape (6, 8) gives d = 6 and k = 8",
                "needs (2, 8)");
    }

    @ParameterizedTest
    @EngineSource
    void nanInAnAdapterTensorIsRefused(EngineBinding engine) throws IOException {
        float[] b = gaussian(random, 12, 0.5);
        b[5] = Float.NaN;
        refused(
                engine,
                base(SafetensorsDtype.F32, ""),
                adapterTensors(gaussian(random, 16, 0.5), b),
                "Adapter tensor 'base_model.model.h.0.q.lora_B.weight'",
                "has NaN or Inf at [2, 1]",
                "nothing was written");
    }

    @ParameterizedTest
    @EngineSource
    void nanOrInfProducedByTheMergeIsRefused(EngineBinding engine) throws IOException {
        float[] huge = new float[16];
        Arrays.fill(huge, 1e20f);
        float[] hugeB = new float[12];
        Arrays.fill(hugeB, 1e20f);
        refused(
                engine,
                base(SafetensorsDtype.F32, ""),
                adapterTensors(huge, hugeB),
                "The merged weight of module 'h.0.q' (base tensor 'h.0.q.weight') has NaN or Inf at [0, 0]",
                "nothing was written");
    }

    @ParameterizedTest
    @EngineSource
    void aMergedWeightBeyondF16IsRefused(EngineBinding engine) throws IOException {
        float[] large = new float[16];
        Arrays.fill(large, 200f);
        float[] largeB = new float[12];
        Arrays.fill(largeB, 200f);
        refused(
                engine,
                base(SafetensorsDtype.F16, ""),
                adapterTensors(large, largeB),
                "The merged weight of module 'h.0.q' (base tensor 'h.0.q.weight') cast to F16 (beyond its range)",
                "has NaN or Inf at [0, 0]");
    }

    @ParameterizedTest
    @EngineSource
    void anInconsistentAdapterIsRefused(EngineBinding engine) throws IOException {
        List<Tensor> tensors = adapterTensors(gaussian(random, 16, 0.5), gaussian(random, 12, 0.5));
        tensors.remove(1);
        refused(
                engine,
                base(SafetensorsDtype.F32, ""),
                tensors,
                "is inconsistent, so it is not merged: module 'h.0.q': lora_B.weight is missing");
    }

    @ParameterizedTest
    @EngineSource
    void theBaseIsNeverTheOutput(EngineBinding engine) {
        Path base = base(SafetensorsDtype.F32, "");
        Path adapter = MergeFiles.adapter(
                dir.resolve("adapter"), LORA, adapterTensors(gaussian(random, 16, 0.5), gaussian(random, 12, 0.5)));
        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            PeftException error = assertThrows(
                    PeftException.class,
                    () -> StreamingMerge.merge(
                            base,
                            adapter,
                            dir.resolve(".").resolve("model.safetensors"),
                            manager,
                            StreamingMerge.Options.defaults()));
            assertTrue(error.getMessage().contains("is the base file"), error.getMessage());
        }
    }
}
