package dev.peft4j.lora;

import static dev.peft4j.testkit.adapter.AdapterFiles.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.AdapterDirectory;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.TensorSpec;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.TestModels;
import dev.peft4j.testkit.adapter.AdapterFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** LoRA's file format: which files it claims, and what it checks in each module. */
class LoraFileFormatTest {

    private static final String CONFIG =
            "{\"peft_type\": \"LORA\", \"r\": 4, \"target_modules\": [\"q\", \"v\"], \"rank_pattern\": {\"h.1.v\": 2}";

    @TempDir
    Path dir;

    private List<String> problems(String configJson, TensorSpec... tensors) throws IOException {
        try (AdapterDirectory adapter =
                AdapterDirectory.open(AdapterFiles.write(dir, configJson, tensors), Plugins.defaults())) {
            assertEquals(LoraFactory.NAME, adapter.method().factory().name());
            return adapter.problems();
        }
    }

    @Test
    void aPlainLoraFileIsLorasWithTheRankPatternApplied() throws IOException {
        assertEquals(
                List.of(),
                problems(
                        CONFIG + ", \"use_dora\": false}",
                        f32("h.0.q.lora_A.weight", 4, 6),
                        f32("h.0.q.lora_B.weight", 5, 4),
                        f32("h.1.v.lora_A.weight", 2, 6),
                        f32("h.1.v.lora_B.weight", 5, 2)));
    }

    @Test
    void inconsistenciesAreReportedNotThrown() throws IOException {
        List<String> expected = List.of(
                "module 'h.0.q': lora_B.weight is missing",
                "module 'h.0.v': lora_A.weight is missing",
                "module 'h.1.q': lora_A.weight has shape (2, 6) but the config gives r = 4 for this module",
                "module 'h.1.v': lora_B.weight has shape (5, 3); its columns must equal lora_A.weight's 2 rows",
                "module 'h.2.q': lora_A.weight has shape (4); expected a matrix",
                "module 'h.2.v': tensor lora_magnitude_vector is not one that LoRA stores",
                "module 'h.3.q': lora_embedding_B is missing",
                "module 'h.4.q': tensor lora_row_scale is not one that LoRA stores");
        List<String> problems = problems(
                CONFIG + "}",
                f32("h.0.q.lora_A.weight", 4, 6),
                f32("h.0.v.lora_B.weight", 5, 4),
                f32("h.1.q.lora_A.weight", 2, 6),
                f32("h.1.q.lora_B.weight", 5, 2),
                f32("h.1.v.lora_A.weight", 2, 6),
                f32("h.1.v.lora_B.weight", 5, 3),
                f32("h.2.q.lora_A.weight", 4),
                f32("h.2.q.lora_B.weight", 5, 4),
                f32("h.2.v.lora_A.weight", 4, 6),
                f32("h.2.v.lora_B.weight", 5, 4),
                f32("h.2.v.lora_magnitude_vector", 5),
                f32("h.3.q.lora_embedding_A", 4, 6),
                f32("h.4.q.lora_A.weight", 4, 6),
                f32("h.4.q.lora_B.weight", 6, 4),
                f32("h.4.q.lora_row_scale", 6));
        assertEquals(expected.size(), problems.size(), problems::toString);
        for (int i = 0; i < expected.size(); i++) {
            assertTrue(problems.get(i).startsWith(expected.get(i)), problems.get(i) + " vs " + expected.get(i));
        }
    }

    @Test
    void aVariantFlagWhoseMethodIsNotInstalledIsNotReadAsPlainLora() throws IOException {
        // MoRA is not on this module's class path: its flag must not be silently dropped
        assertEquals(
                List.of(
                        "use_mora = true is set, but the adapter method 'lora' does not read it: its meaning would be lost",
                        "mora_type = 6 is set, but the adapter method 'lora' does not read it: its meaning would be lost"),
                problems(
                                "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": [\"q\"], \"use_mora\": true, \"mora_type\": 6}",
                                f32("h.0.q.lora_A.weight", 8, 8),
                                f32("h.0.q.lora_B.weight", 8, 8))
                        .subList(0, 2));
    }

    private List<String> problemsOfAValidModuleWith(String keys) throws IOException {
        return problems(
                "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"q\"], " + keys + "}",
                f32("h.0.q.lora_A.weight", 2, 4),
                f32("h.0.q.lora_B.weight", 4, 2));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "pissa         | PiSSA rewrote the base weights as W0 − s·B₀A₀",
                "pissa_niter_4 | PiSSA rewrote the base weights as W0 − s·B₀A₀",
                "olora         | OLoRA rewrote the base weights as W0 − s·B₀A₀",
                "corda         | CorDA rewrote the base weights as W0 − s·B₀A₀",
                "loftq         | LoftQ replaced the base weights by their quantised approximation",
                "shiny         | is an initialisation peft4j does not know"
            })
    void anInitialisationThatRewritesTheBaseIsAProblem(String init, String explanation) throws IOException {
        List<String> problems = problemsOfAValidModuleWith("\"init_lora_weights\": \"" + init + "\"");
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith("init_lora_weights = \"" + init + "\""), problems.get(0));
        assertTrue(problems.get(0).contains(explanation), problems.get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "false", "\"gaussian\"", "\"eva\"", "\"orthogonal\""})
    void anInitialisationThatLeavesTheBaseAloneIsNoProblem(String init) throws IOException {
        assertEquals(List.of(), problemsOfAValidModuleWith("\"init_lora_weights\": " + init));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"layer_replication\": [[0, 2], [1, 3]] | layer_replication = [[0,2],[1,3]] changes what the adapter"
                        + " computes and is not implemented; it would need the base model's layers rebuilt",
                "\"loftq_config\": {\"loftq_bits\": 4}  | loftq_config = {\"loftq_bits\":4} changes what the adapter",
                "\"target_parameters\": [\"experts.w\"]  | target_parameters = [\"experts.w\"] changes what",
                "\"alora_invocation_tokens\": [1, 2]  | alora_invocation_tokens = [1,2] changes what",
                "\"use_qalora\": true                 | use_qalora = true changes what"
            })
    void aKeyThatChangesTheMeaningIsNamedWithWhatItWouldNeed(String keys, String expected) throws IOException {
        List<String> problems = problemsOfAValidModuleWith(keys);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).startsWith(expected), problems.get(0));
    }

    @Test
    void emptyDefaultsOfThoseKeysAreNoProblem() throws IOException {
        assertEquals(
                List.of(),
                problemsOfAValidModuleWith("\"layer_replication\": null, \"loftq_config\": {}, \"use_qalora\": false"));
    }

    @Test
    void loraBiasNeedsBsBiasOfOneValuePerRow() throws IOException {
        String withBias = "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"q\"], \"lora_bias\": true}";
        assertEquals(
                List.of(),
                problems(
                        withBias,
                        f32("h.0.q.lora_A.weight", 2, 4),
                        f32("h.0.q.lora_B.weight", 6, 2),
                        f32("h.0.q.lora_B.bias", 6)));
        assertEquals(
                List.of("module 'h.0.q': lora_B.bias is missing (lora_bias is true)"),
                problems(withBias, f32("h.0.q.lora_A.weight", 2, 4), f32("h.0.q.lora_B.weight", 6, 2)));
        assertEquals(
                List.of("module 'h.0.q': lora_B.bias has shape (5), expected (6) to match lora_B.weight's rows"),
                problems(
                        withBias,
                        f32("h.0.q.lora_A.weight", 2, 4),
                        f32("h.0.q.lora_B.weight", 6, 2),
                        f32("h.0.q.lora_B.bias", 5)));
        assertEquals(
                List.of("module 'h.0.q': tensor lora_B.bias is not one that LoRA stores unless lora_bias is true"),
                problemsOfAValidModuleWithBias());
    }

    private List<String> problemsOfAValidModuleWithBias() throws IOException {
        return problems(
                "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"q\"]}",
                f32("h.0.q.lora_A.weight", 2, 4),
                f32("h.0.q.lora_B.weight", 4, 2),
                f32("h.0.q.lora_B.bias", 4));
    }

    @Test
    void loraOnAnEmbeddingIsReadAsPeftStoresIt() throws IOException {
        String config = "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"embed_tokens\"]}";
        assertEquals(
                List.of(),
                problems(
                        config,
                        f32("model.embed_tokens.lora_embedding_A", 2, 10),
                        f32("model.embed_tokens.lora_embedding_B", 6, 2)));
        assertEquals(
                List.of("module 'model.embed_tokens': lora_embedding_B has shape (6, 3); its columns must equal"
                        + " lora_embedding_A's 2 rows"),
                problems(
                        config,
                        f32("model.embed_tokens.lora_embedding_A", 2, 10),
                        f32("model.embed_tokens.lora_embedding_B", 6, 3)));
        assertEquals(
                List.of("module 'model.embed_tokens': tensor lora_A.weight is not one that LoRA stores for an"
                        + " embedding"),
                problems(
                        config,
                        f32("model.embed_tokens.lora_embedding_A", 2, 10),
                        f32("model.embed_tokens.lora_embedding_B", 6, 2),
                        f32("model.embed_tokens.lora_A.weight", 2, 10)));
    }

    @Test
    void loraOnAConvolutionIsNamedAsUnsupported() throws IOException {
        assertEquals(
                List.of("module 'conv1': is a convolution (lora_A.weight has shape (2, 3, 3, 3)): peft4j does not"
                        + " support LoRA on convolutional layers"),
                problems(
                        "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"conv1\"]}",
                        f32("conv1.lora_A.weight", 2, 3, 3, 3),
                        f32("conv1.lora_B.weight", 8, 2, 1, 1)));
    }

    @Test
    void anEmbeddingModuleDoesNotLoadOntoALinearLayerOfTheSamePath() throws IOException {
        Path adapter = AdapterFiles.write(
                dir,
                "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"0\"]}",
                f32("0.lora_embedding_A", 2, 4),
                f32("0.lora_embedding_B", 5, 2));
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            PeftModel model = PeftModel.wrap(TestModels.mlp(manager, 1, 4, 5));
            String message = assertThrows(
                            PeftException.class, () -> PeftAdapters.load(model, "default", adapter, PathMap.identity()))
                    .getMessage();
            assertTrue(
                    message.endsWith("stores 0 as an embedding, but the model's 0 is a linear layer: the adapter is for"
                            + " another model"),
                    message);
            assertTrue(model.layers().isEmpty(), "nothing was added");
        }
    }
}
