package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterDirectoryTest {

    private static final String LORA_CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\", \"v\"], \"rank_pattern\": {\"h.1.v\": 2}";

    @TempDir
    Path dir;

    /** Writes an adapter directory whose tensors hold zeros. */
    private Path adapter(String configJson, TensorSpec... tensors) throws IOException {
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), configJson);
        try (SafetensorsWriter writer =
                SafetensorsWriter.create(dir.resolve(AdapterDirectory.WEIGHTS_FILE), List.of(tensors), Map.of())) {
            for (TensorSpec tensor : tensors) {
                writer.write(tensor.name(), ByteBuffer.allocate((int) tensor.byteSize()));
            }
            writer.commit();
        }
        return dir;
    }

    private static TensorSpec f32(String name, long... shape) {
        return new TensorSpec(AdapterDirectory.TENSOR_PREFIX + name, SafetensorsDtype.F32, new Shape(shape));
    }

    private static List<String> problems(Path directory) {
        try (AdapterDirectory adapter = AdapterDirectory.open(directory)) {
            return adapter.problems();
        }
    }

    private static void assertOneProblem(String expected, List<String> problems) {
        assertEquals(1, problems.size(), () -> problems.toString());
        assertTrue(problems.get(0).contains(expected), () -> "'" + problems.get(0) + "' lacks '" + expected + "'");
    }

    private PeftException openFails(Path directory) {
        return assertThrows(PeftException.class, () -> AdapterDirectory.open(directory).close());
    }

    @Test
    void groupsTensorsByModule() throws IOException {
        Path directory = adapter(LORA_CONFIG + ", \"modules_to_save\": [\"classifier\"]}",
                f32("h.0.q.lora_A.weight", 4, 6), f32("h.0.q.lora_B.weight", 5, 4),
                f32("h.1.v.lora_A.weight", 2, 6), f32("h.1.v.lora_B.weight", 5, 2),
                f32("classifier.weight", 2, 5), f32("classifier.bias", 2));
        try (AdapterDirectory adapter = AdapterDirectory.open(directory)) {
            assertEquals(List.of(), adapter.problems());
            assertEquals(List.of("h.0.q", "h.1.v"), List.copyOf(adapter.modules().keySet()));
            assertEquals(new AdapterModule("h.1.v", "base_model.model.h.1.v.lora_A.weight",
                    "base_model.model.h.1.v.lora_B.weight", null), adapter.modules().get("h.1.v"));
            assertEquals(Map.of("classifier.weight", "base_model.model.classifier.weight",
                    "classifier.bias", "base_model.model.classifier.bias"), adapter.savedTensors());
            assertEquals(2, adapter.config().adapterConfig("h.1.v").rank());
            assertEquals(10, adapter.weights().readFloats("base_model.model.h.1.v.lora_B.weight").length);
        }
    }

    @Test
    void doraMagnitudesAreFoundInBothSpellings() throws IOException {
        Path directory = adapter(LORA_CONFIG + ", \"use_dora\": true}",
                f32("h.0.q.lora_A.weight", 4, 6), f32("h.0.q.lora_B.weight", 5, 4), f32("h.0.q.lora_magnitude_vector", 5),
                f32("h.0.v.lora_A.weight", 4, 6), f32("h.0.v.lora_B.weight", 5, 4),
                f32("h.0.v.lora_magnitude_vector.weight", 5));
        try (AdapterDirectory adapter = AdapterDirectory.open(directory)) {
            assertEquals(List.of(), adapter.problems());
            assertEquals("base_model.model.h.0.q.lora_magnitude_vector", adapter.modules().get("h.0.q").magnitude());
            assertEquals("base_model.model.h.0.v.lora_magnitude_vector.weight",
                    adapter.modules().get("h.0.v").magnitude());
            assertEquals("dora", adapter.config().method());
        }
    }

    @Test
    void moraStoresTheSquareMatrixTwice() throws IOException {
        String config = "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": [\"q\"], \"use_mora\": true, "
                + "\"mora_type\": 6}";
        assertEquals(List.of(), problems(adapter(config, f32("h.0.q.lora_A.weight", 10, 10),
                f32("h.0.q.lora_B.weight", 10, 10))));
        assertOneProblem("MoRA's lora_A.weight (M) must be square, has shape (10, 12)",
                problems(adapter(config, f32("h.0.q.lora_A.weight", 10, 12), f32("h.0.q.lora_B.weight", 10, 12))));
        assertOneProblem("MoRA's lora_B.weight must repeat lora_A.weight's shape (10, 10), has (8, 8)",
                problems(adapter(config, f32("h.0.q.lora_A.weight", 10, 10), f32("h.0.q.lora_B.weight", 8, 8))));
    }

    @Test
    void inconsistenciesAreReportedNotThrown() throws IOException {
        Path directory = adapter(LORA_CONFIG + "}",
                f32("h.0.q.lora_A.weight", 4, 6),
                f32("h.0.v.lora_B.weight", 5, 4),
                f32("h.1.q.lora_A.weight", 2, 6), f32("h.1.q.lora_B.weight", 5, 2),
                f32("h.1.v.lora_A.weight", 2, 6), f32("h.1.v.lora_B.weight", 5, 3),
                f32("h.2.q.lora_A.weight", 4), f32("h.2.q.lora_B.weight", 5, 4),
                f32("h.2.v.lora_A.weight", 4, 6), f32("h.2.v.lora_B.weight", 5, 4), f32("h.2.v.lora_magnitude_vector", 5),
                f32("h.3.q.lora_embedding_A", 4, 6),
                f32("h.3.q.lora_A.default.weight", 4, 6));
        List<String> expected = List.of(
                "tensor 'base_model.model.h.3.q.lora_A.default.weight' looks like a LoRA tensor peft4j does not read",
                "tensor 'base_model.model.h.3.q.lora_embedding_A' looks like a LoRA tensor",
                "module 'h.0.q': lora_B.weight is missing",
                "module 'h.0.v': lora_A.weight is missing",
                "module 'h.1.q': lora_A.weight has shape (2, 6) but the config gives r = 4 for this module",
                "module 'h.1.v': lora_B.weight has shape (5, 3); its columns must equal lora_A.weight's 2 rows",
                "module 'h.2.q': lora_A.weight has shape (4); expected a matrix",
                "module 'h.2.v': has lora_magnitude_vector but use_dora is false");
        List<String> problems = problems(directory);
        assertEquals(expected.size(), problems.size(), problems::toString);
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(problems.get(i).startsWith(expected.get(i)), problems.get(i) + " vs " + expected.get(i));
        }
    }

    @Test
    void aThirdPartyMethodsOwnLoraTensorsAreNoProblem() throws IOException {
        String config = "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\"], \"peft4j_method\": \"lora-rowscale\"}";
        Path directory = adapter(config, f32("h.0.q.lora_A.weight", 4, 6), f32("h.0.q.lora_B.weight", 6, 4), f32("h.0.q.lora_row_scale", 6));
        try (AdapterDirectory adapter = AdapterDirectory.open(directory)) {
            assertEquals(List.of(), adapter.problems());
            assertEquals(Map.of(), adapter.savedTensors());
            assertEquals(List.of("h.0.q"), List.copyOf(adapter.modules().keySet()));
        }
        Files.delete(directory.resolve(PeftConfigFile.FILE_NAME));
        assertOneProblem("tensor 'base_model.model.h.0.q.lora_row_scale' looks like a LoRA tensor peft4j does not read",
                problems(adapter(LORA_CONFIG + "}", f32("h.0.q.lora_A.weight", 4, 6), f32("h.0.q.lora_B.weight", 6, 4),
                        f32("h.0.q.lora_row_scale", 6))));
    }

    @Test
    void doraProblemsAreReported() throws IOException {
        Path directory = adapter(LORA_CONFIG + ", \"use_dora\": true}",
                f32("h.0.q.lora_A.weight", 4, 6), f32("h.0.q.lora_B.weight", 5, 4),
                f32("h.0.v.lora_A.weight", 4, 6), f32("h.0.v.lora_B.weight", 5, 4), f32("h.0.v.lora_magnitude_vector", 6),
                f32("h.1.q.lora_A.weight", 4, 6), f32("h.1.q.lora_B.weight", 5, 4), f32("h.1.q.lora_magnitude_vector", 5),
                f32("h.1.q.lora_magnitude_vector.weight", 5));
        assertEquals(List.of(
                "module 'h.1.q' has two magnitude vectors: 'base_model.model.h.1.q.lora_magnitude_vector' and "
                        + "'base_model.model.h.1.q.lora_magnitude_vector.weight'",
                "module 'h.0.q': use_dora is true but lora_magnitude_vector is missing",
                "module 'h.0.v': lora_magnitude_vector has shape (6), expected (5) to match lora_B.weight's rows"),
                problems(directory));
    }

    @Test
    void tensorsOutsideThePeftPrefixAndEmptyAdaptersAreReported() throws IOException {
        List<String> problems = problems(adapter(LORA_CONFIG + "}",
                new TensorSpec("h.0.q.lora_A.weight", SafetensorsDtype.F32, new Shape(4, 6))));
        assertEquals(List.of(
                "tensor 'h.0.q.lora_A.weight' is not under 'base_model.model.', where PEFT saves every tensor",
                "no LoRA tensors: expected names like base_model.model.<module>.lora_A.weight"), problems);
    }

    @Test
    void aPickleOnlyDirectoryIsRefusedWithConversionAdvice() throws IOException {
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), LORA_CONFIG + "}");
        Files.write(dir.resolve(AdapterDirectory.PICKLE_FILE), new byte[] {(byte) 0x80, 2});
        PeftException error = openFails(dir);
        for (String part : List.of("adapter_model.bin", "pickle", "never unpickles",
                "safetensors.torch.save_file(torch.load('adapter_model.bin', weights_only=True)")) {
            assertTrue(error.getMessage().contains(part), error.getMessage());
        }
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        assertTrue(openFails(dir).getMessage().endsWith(
                "is not a PEFT adapter directory: adapter_config.json and adapter_model.safetensors are missing"));
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), LORA_CONFIG + "}");
        assertTrue(openFails(dir).getMessage().endsWith("adapter_model.safetensors is missing"));
        Files.delete(dir.resolve(PeftConfigFile.FILE_NAME));
        adapter(LORA_CONFIG + "}", f32("h.0.q.lora_A.weight", 4, 6));
        Files.delete(dir.resolve(PeftConfigFile.FILE_NAME));
        assertTrue(openFails(dir).getMessage().endsWith("adapter_config.json is missing"));
        assertTrue(openFails(dir.resolve("absent")).getMessage().contains("absent does not exist"));
        assertTrue(openFails(dir.resolve(AdapterDirectory.WEIGHTS_FILE)).getMessage().contains("is not a directory"));
    }

    @Test
    void malformedFilesInTheDirectoryFail() throws IOException {
        adapter("{\"peft_type\": \"LORA\", \"r\": 4}", f32("h.0.q.lora_A.weight", 4, 6));
        assertTrue(openFails(dir).getMessage().contains("missing required key 'target_modules'"));
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), LORA_CONFIG + "}");
        Files.write(dir.resolve(AdapterDirectory.WEIGHTS_FILE), new byte[3]);
        assertTrue(openFails(dir).getMessage().contains("truncated"));
    }

    @Test
    void aModuleWithOnlyAMagnitudeHasNeitherFactor() throws IOException {
        List<String> problems = new ArrayList<>(problems(adapter(LORA_CONFIG + ", \"use_dora\": true}",
                f32("h.0.q.lora_magnitude_vector", 5))));
        assertEquals(List.of("module 'h.0.q': lora_A.weight is missing", "module 'h.0.q': lora_B.weight is missing"),
                problems);
        try (AdapterDirectory adapter = AdapterDirectory.open(dir)) {
            assertNull(adapter.modules().get("h.0.q").loraA());
        }
    }
}
