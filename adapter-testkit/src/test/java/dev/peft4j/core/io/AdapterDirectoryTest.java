package dev.peft4j.core.io;

import static dev.peft4j.testkit.adapter.AdapterFiles.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.adapter.AdapterFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an adapter directory is without any method's knowledge: tensors grouped by module,
 * saved tensors, the method found from the file, keys nothing reads, missing and malformed files.
 * The test method {@code full-delta} (a method PEFT does not know, recorded as {@code
 * peft4j_method}) stands in for any method; each method's own checks are tested in its module.
 */
class AdapterDirectoryTest {

    private static final Plugins PLUGINS = Plugins.defaults();
    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\", \"v\"], \"peft4j_method\": \"full-delta\"";

    @TempDir
    Path dir;

    private Path adapter(String configJson, TensorSpec... tensors) throws IOException {
        return AdapterFiles.write(dir, configJson, tensors);
    }

    private static List<String> problems(Path directory) {
        try (AdapterDirectory adapter = AdapterDirectory.open(directory, PLUGINS)) {
            return adapter.problems();
        }
    }

    private PeftException openFails(Path directory) {
        return assertThrows(
                PeftException.class,
                () -> AdapterDirectory.open(directory, PLUGINS).close());
    }

    @Test
    void groupsTensorsByModuleAtTheFirstLoraSegment() throws IOException {
        Path directory = adapter(
                CONFIG + ", \"modules_to_save\": [\"classifier\"]}",
                f32("h.0.q.lora_A.weight", 5, 6),
                f32("h.0.q.lora_extra", 5),
                f32("h.1.v.lora_A.weight", 5, 6),
                f32("classifier.weight", 2, 5),
                f32("classifier.bias", 2));
        try (AdapterDirectory adapter = AdapterDirectory.open(directory, PLUGINS)) {
            assertEquals(List.of(), adapter.problems());
            assertEquals("full-delta", adapter.method().factory().name());
            assertEquals(
                    List.of("h.0.q", "h.1.v"), List.copyOf(adapter.modules().keySet()));
            assertEquals(
                    new AdapterModule(
                            "h.0.q",
                            Map.of(
                                    "lora_A.weight", "base_model.model.h.0.q.lora_A.weight",
                                    "lora_extra", "base_model.model.h.0.q.lora_extra")),
                    adapter.modules().get("h.0.q"));
            assertEquals(
                    Map.of("lora_A.weight", new Shape(5, 6), "lora_extra", new Shape(5)),
                    adapter.stored(adapter.modules().get("h.0.q")).shapes());
            assertEquals(
                    Map.of(
                            "classifier.weight",
                            "base_model.model.classifier.weight",
                            "classifier.bias",
                            "base_model.model.classifier.bias"),
                    adapter.savedTensors());
            assertEquals(4, adapter.moduleConfig("h.1.v").rank());
            assertEquals(30, adapter.weights().readFloats("base_model.model.h.1.v.lora_A.weight").length);
        }
    }

    @Test
    void aKeyThatNothingReadsIsAProblemAndLoadingRefusesIt() throws IOException {
        Path directory = adapter(
                CONFIG + ", \"use_dora\": true, \"layer_replication\": [[0, 2]], \"lora_bias\": false}",
                f32("h.0.q.lora_A.weight", 5, 6));
        assertEquals(
                List.of(
                        "use_dora = true is set, but the adapter method 'full-delta' does not read it: its meaning would be lost",
                        "layer_replication = [[0,2]] changes what the adapter computes and is not implemented; it would"
                                + " need the base model's layers rebuilt in the replicated order PEFT's layer_replication"
                                + " makes before the adapter applies; peft4j loads the layers as stored, so the adapted"
                                + " modules would not line up"),
                problems(directory));
    }

    @Test
    void anUnknownRecordedMethodNamesTheAvailableOnes() throws IOException {
        adapter(
                "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\"], \"peft4j_method\": \"vera\"}",
                f32("h.0.q.lora_A.weight", 5, 6));
        assertTrue(openFails(dir).getMessage().startsWith("Unknown adapter 'vera'. Available: [full-delta]"));
    }

    @Test
    void aFileNoInstalledMethodClaimsSaysWhatToAdd() throws IOException {
        adapter("{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\"]}", f32("h.0.q.lora_A.weight", 5, 6));
        assertTrue(openFails(dir)
                .getMessage()
                .endsWith(": no installed adapter method reads this LoRA-type file. "
                        + "Add the jar of its method (plain LoRA: dev.peft4j:peft-lora)"));
    }

    @Test
    void tensorsOutsideThePeftPrefixAndEmptyAdaptersAreReported() throws IOException {
        List<String> problems = problems(
                adapter(CONFIG + "}", new TensorSpec("h.0.q.lora_A.weight", SafetensorsDtype.F32, new Shape(4, 6))));
        assertEquals(
                List.of(
                        "tensor 'h.0.q.lora_A.weight' is not under 'base_model.model.', where PEFT saves every tensor",
                        "no adapter tensors: expected names like base_model.model.<module>.lora_A.weight"),
                problems);
    }

    @Test
    void aPickleOnlyDirectoryIsRefusedWithConversionAdvice() throws IOException {
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), CONFIG + "}");
        Files.write(dir.resolve(AdapterDirectory.PICKLE_FILE), new byte[] {(byte) 0x80, 2});
        PeftException error = openFails(dir);
        for (String part : List.of(
                "adapter_model.bin",
                "pickle",
                "never unpickles",
                "safetensors.torch.save_file(torch.load('adapter_model.bin', weights_only=True)")) {
            assertTrue(error.getMessage().contains(part), error.getMessage());
        }
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        assertTrue(
                openFails(dir)
                        .getMessage()
                        .endsWith(
                                "is not a PEFT adapter directory: adapter_config.json and adapter_model.safetensors are missing"));
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), CONFIG + "}");
        assertTrue(openFails(dir).getMessage().endsWith("adapter_model.safetensors is missing"));
        Files.delete(dir.resolve(PeftConfigFile.FILE_NAME));
        adapter(CONFIG + "}", f32("h.0.q.lora_A.weight", 4, 6));
        Files.delete(dir.resolve(PeftConfigFile.FILE_NAME));
        assertTrue(openFails(dir).getMessage().endsWith("adapter_config.json is missing"));
        assertTrue(openFails(dir.resolve("absent")).getMessage().contains("absent does not exist"));
        assertTrue(openFails(dir.resolve(AdapterDirectory.WEIGHTS_FILE))
                .getMessage()
                .contains("is not a directory"));
    }

    @Test
    void malformedFilesInTheDirectoryFail() throws IOException {
        adapter("{\"peft_type\": \"LORA\", \"r\": 4}", f32("h.0.q.lora_A.weight", 4, 6));
        assertTrue(openFails(dir).getMessage().contains("missing required key 'target_modules'"));
        Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), CONFIG + "}");
        Files.write(dir.resolve(AdapterDirectory.WEIGHTS_FILE), new byte[3]);
        assertTrue(openFails(dir).getMessage().contains("truncated"));
    }
}
