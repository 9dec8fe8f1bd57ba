package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * F16 and BF16 checkpoints load as float32 holding exactly the stored values: each parameter
 * equals the float32 original rounded to the stored type (computed here independently: BF16 by
 * rounding the bits to nearest even, F16 by the engine's cast), and the model's logits stay close
 * to the float32 model's.
 */
class HalfPrecisionCheckpointTest {

    private static final String WEIGHT = "model.layers.0.self_attn.q_proj.weight";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfPrecisionWeightsLoadAsTheirExactValues(String dtypeName) throws IOException {
        SafetensorsDtype dtype = SafetensorsDtype.byName(dtypeName).orElseThrow();
        Path original = Reference.resource("tiny-qwen2");
        Path converted = dir.resolve("tiny-qwen2-" + dtype);
        Files.createDirectories(converted);
        Files.copy(original.resolve("config.json"), converted.resolve("config.json"));
        try (NDManager manager = ReferenceLogitsTest.backend("pytorch").newManager();
                SafetensorsFile file = SafetensorsFile.open(original.resolve(Checkpoint.WEIGHTS_FILE))) {
            List<TensorSpec> specs = new ArrayList<>();
            file.tensors().values().forEach(spec -> specs.add(new TensorSpec(spec.name(), dtype, spec.shape())));
            try (SafetensorsWriter writer =
                    SafetensorsWriter.create(converted.resolve(Checkpoint.WEIGHTS_FILE), specs, Map.of())) {
                for (String name : file.tensors().keySet()) {
                    writer.write(name, file.read(name, manager));
                }
                writer.commit();
            }
            float[] full = file.readFloats(WEIGHT);
            float[] expected = dtype == SafetensorsDtype.BF16
                    ? roundToBfloat16(full)
                    : manager.create(full)
                            .toType(DataType.FLOAT16, false)
                            .toType(DataType.FLOAT32, false)
                            .toFloatArray();
            try (CausalLm lm = CausalLm.load(converted, ReferenceLogitsTest.backend("pytorch"));
                    CausalLm reference = CausalLm.load(original, ReferenceLogitsTest.backend("pytorch"))) {
                NDArray loaded =
                        ModuleTree.baseParameters(lm.block()).get(WEIGHT).getArray();
                assertEquals(DataType.FLOAT32, loaded.getDataType());
                assertArrayEquals(expected, loaded.toFloatArray());
                NDArray ids = manager.create(new long[] {4, 8, 15, 16, 23, 42}).reshape(1, 6);
                float difference = lm.logits(ids, null)
                        .sub(reference.logits(ids, null))
                        .abs()
                        .max()
                        .getFloat();
                assertTrue(difference > 0 && difference < 0.1f, "logits moved by " + difference);
            }
        }
    }

    /** Round to nearest even on the upper 16 bits, as PyTorch casts to bfloat16. */
    private static float[] roundToBfloat16(float[] values) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            int bits = Float.floatToIntBits(values[i]);
            int lsb = (bits >> 16) & 1;
            rounded[i] = Float.intBitsToFloat((bits + 0x7FFF + lsb) & 0xFFFF0000);
        }
        return rounded;
    }
}
