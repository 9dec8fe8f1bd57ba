package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.PeftException;
import dev.peft4j.testkit.EngineSource;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

class TensorStagingTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EngineSource
    void stagedArraysEqualTheFilesAndOutliveTheNextRead(EngineBinding engine) {
        List<TensorSpec> specs = List.of(
                new TensorSpec("big.f32", SafetensorsDtype.F32, new Shape(40, 30)),
                new TensorSpec("small.f32", SafetensorsDtype.F32, new Shape(3)),
                new TensorSpec("f16", SafetensorsDtype.F16, new Shape(5, 7)),
                new TensorSpec("bf16", SafetensorsDtype.BF16, new Shape(60, 20)),
                new TensorSpec("f64", SafetensorsDtype.F64, new Shape(2, 2)),
                new TensorSpec("scalar", SafetensorsDtype.F32, new Shape()),
                new TensorSpec("empty", SafetensorsDtype.BF16, new Shape(0, 3)),
                new TensorSpec("ids", SafetensorsDtype.I64, new Shape(2)));
        Path file = dir.resolve("staged.safetensors");
        Random random = new Random(3);
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of())) {
            for (TensorSpec spec : specs) {
                byte[] bytes = new byte[(int) spec.byteSize()];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (random.nextInt(0x70) | (i % 2 == 0 ? 0 : 0x80 & random.nextInt()));
                }
                writer.write(spec.name(), ByteBuffer.wrap(bytes));
            }
            writer.commit();
        }
        TensorStaging staging = new TensorStaging();
        try (SafetensorsFile read = SafetensorsFile.open(file);
                NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            List<String> floating = List.of("big.f32", "small.f32", "f16", "bf16", "f64", "scalar", "empty");
            List<NDArray> staged = floating.stream()
                    .map(name -> staging.read(read, name, manager))
                    .toList();
            for (int i = 0; i < floating.size(); i++) {
                NDArray expected = read.read(floating.get(i), manager);
                assertEquals(expected.getDataType(), staged.get(i).getDataType(), floating.get(i));
                assertEquals(expected.getShape(), staged.get(i).getShape(), floating.get(i));
                assertArrayEquals(expected.toByteArray(), staged.get(i).toByteArray(), floating.get(i));
            }
            PeftException ids = assertThrows(PeftException.class, () -> staging.read(read, "ids", manager));
            assertTrue(ids.getMessage().contains("not a floating-point tensor"), ids.getMessage());
        }
    }
}
