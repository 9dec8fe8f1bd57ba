package dev.peft4j.dora;

import static dev.peft4j.testkit.adapter.AdapterFiles.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.adapter.AdapterFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DoRA's file format: {@code use_dora} claims the file; the magnitude in both of PEFT's spellings; its checks. */
class DoraFileFormatTest {

    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\", \"v\"], \"use_dora\": true}";

    @TempDir
    Path dir;

    private AdapterDirectory open(TensorSpec... tensors) throws IOException {
        AdapterDirectory adapter = AdapterDirectory.open(AdapterFiles.write(dir, CONFIG, tensors), Plugins.defaults());
        assertEquals(DoraFactory.NAME, adapter.method().factory().name());
        return adapter;
    }

    @Test
    void magnitudesAreFoundInBothSpellings() throws IOException {
        try (AdapterDirectory adapter = open(
                f32("h.0.q.lora_A.weight", 4, 6),
                f32("h.0.q.lora_B.weight", 5, 4),
                f32("h.0.q.lora_magnitude_vector", 5),
                f32("h.0.v.lora_A.weight", 4, 6),
                f32("h.0.v.lora_B.weight", 5, 4),
                f32("h.0.v.lora_magnitude_vector.weight", 5))) {
            assertEquals(List.of(), adapter.problems());
            assertEquals(
                    Optional.of("base_model.model.h.0.q.lora_magnitude_vector"),
                    adapter.tensor(adapter.modules().get("h.0.q"), DoraAdapter.MAGNITUDE_NAME));
            assertEquals(
                    Optional.of("base_model.model.h.0.v.lora_magnitude_vector.weight"),
                    adapter.tensor(adapter.modules().get("h.0.v"), DoraAdapter.MAGNITUDE_NAME));
        }
    }

    @Test
    void doraProblemsAreReported() throws IOException {
        try (AdapterDirectory adapter = open(
                f32("h.0.q.lora_A.weight", 4, 6),
                f32("h.0.q.lora_B.weight", 5, 4),
                f32("h.0.v.lora_A.weight", 4, 6),
                f32("h.0.v.lora_B.weight", 5, 4),
                f32("h.0.v.lora_magnitude_vector", 6),
                f32("h.1.q.lora_A.weight", 4, 6),
                f32("h.1.q.lora_B.weight", 5, 4),
                f32("h.1.q.lora_magnitude_vector", 5),
                f32("h.1.q.lora_magnitude_vector.weight", 5),
                f32("h.2.q.lora_magnitude_vector", 5))) {
            assertEquals(
                    List.of(
                            "module 'h.0.q': use_dora is true but lora_magnitude_vector is missing",
                            "module 'h.0.v': lora_magnitude_vector has shape (6), expected (5) to match lora_B.weight's rows",
                            "module 'h.1.q': has two magnitude vectors: lora_magnitude_vector and lora_magnitude_vector.weight",
                            "module 'h.2.q': lora_A.weight is missing",
                            "module 'h.2.q': lora_B.weight is missing"),
                    adapter.problems());
        }
    }
}
