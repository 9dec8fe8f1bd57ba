package dev.peft4j.mora;

import static dev.peft4j.testkit.adapter.AdapterFiles.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.adapter.AdapterFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MoRA's file format (kongds/MoRA's): {@code use_mora} claims the file, {@code mora_type} becomes the option, M is stored twice. */
class MoraFileFormatTest {

    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": [\"q\"], \"use_mora\": true";

    @TempDir
    Path dir;

    private List<String> problems(String config, TensorSpec... tensors) throws IOException {
        try (AdapterDirectory adapter =
                AdapterDirectory.open(AdapterFiles.write(dir, config, tensors), Plugins.defaults())) {
            assertEquals(MoraFactory.NAME, adapter.method().factory().name());
            return adapter.problems();
        }
    }

    @Test
    void moraTypeBecomesTheOptionOneByDefaultAndSavedOptionsWin() throws IOException {
        AdapterFiles.write(dir, CONFIG + ", \"mora_type\": 6}", f32("h.0.q.lora_A.weight", 10, 10));
        try (AdapterDirectory adapter = AdapterDirectory.open(dir, Plugins.defaults())) {
            assertEquals(Map.of("mora_type", "6"), adapter.method().config().options());
        }
        AdapterFiles.write(dir, CONFIG + "}", f32("h.0.q.lora_A.weight", 10, 10));
        try (AdapterDirectory adapter = AdapterDirectory.open(dir, Plugins.defaults())) {
            assertEquals(Map.of("mora_type", "1"), adapter.method().config().options());
        }
        AdapterFiles.write(
                dir,
                CONFIG + ", \"mora_type\": 0, \"peft4j_options\": {\"operator\": \"test-window\"}}",
                f32("h.0.q.lora_A.weight", 10, 10));
        try (AdapterDirectory adapter = AdapterDirectory.open(dir, Plugins.defaults())) {
            assertEquals(
                    Map.of("operator", "test-window"), adapter.method().config().options());
        }
    }

    @Test
    void theSquareMatrixIsStoredTwice() throws IOException {
        String config = CONFIG + ", \"mora_type\": 6}";
        assertEquals(
                List.of(), problems(config, f32("h.0.q.lora_A.weight", 10, 10), f32("h.0.q.lora_B.weight", 10, 10)));
        assertEquals(
                List.of("module 'h.0.q': MoRA's lora_A.weight (M) must be square, has shape (10, 12)"),
                problems(config, f32("h.0.q.lora_A.weight", 10, 12), f32("h.0.q.lora_B.weight", 10, 12)));
        assertEquals(
                List.of("module 'h.0.q': MoRA's lora_B.weight must repeat lora_A.weight's shape (10, 10), has (8, 8)"),
                problems(config, f32("h.0.q.lora_A.weight", 10, 10), f32("h.0.q.lora_B.weight", 8, 8)));
        assertEquals(
                List.of("module 'h.0.q': tensor lora_magnitude_vector is not one that MoRA stores"),
                problems(config, f32("h.0.q.lora_A.weight", 10, 10), f32("h.0.q.lora_magnitude_vector", 10)));
    }
}
