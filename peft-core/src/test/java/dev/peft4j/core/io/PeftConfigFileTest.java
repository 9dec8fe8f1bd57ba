package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.WeightInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PeftConfigFileTest {

    private static final String MINIMAL =
            "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": [\"q_proj\", \"v_proj\"]";

    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        return Files.writeString(dir.resolve(PeftConfigFile.FILE_NAME), json);
    }

    private PeftException readFails(String json) throws IOException {
        Path file = file(json);
        PeftException error = assertThrows(PeftException.class, () -> PeftConfigFile.read(file));
        assertTrue(error.getMessage().contains(file.toString()), () -> "names the file: " + error.getMessage());
        return error;
    }

    private static void assertContains(String part, PeftException error) {
        assertTrue(error.getMessage().contains(part), () -> "'" + error.getMessage() + "' lacks '" + part + "'");
    }

    @Test
    void aMinimalFileGetsPeftsDefaults() throws IOException {
        PeftAdapterConfig config = PeftConfigFile.read(file(MINIMAL + "}"));
        assertEquals(8, config.r());
        assertEquals(8.0, config.loraAlpha());
        assertEquals(0.0, config.loraDropout());
        assertEquals(List.of("q_proj", "v_proj"), config.targetModules());
        assertNull(config.modulesToSave());
        assertEquals(PeftAdapterConfig.Bias.NONE, config.bias());
        assertEquals("true", config.initLoraWeights());
        assertFalse(config.useRslora() || config.fanInFanOut());
        assertEquals(Map.of(), config.otherKeys());
    }

    @Test
    void aRoundTripKeepsUnknownKeysAndEveryValue() throws IOException {
        String json = "{\"peft_type\": \"LORA\", \"r\": 16, \"lora_alpha\": 32.5, \"lora_dropout\": 0.1,"
                + " \"use_rslora\": true, \"rank_pattern\": {\"q_proj\": 4, \"layers.0.self_attn.v_proj\": 2},"
                + " \"alpha_pattern\": {\"v_proj\": 8}, \"target_modules\": \".*\\\\.(q|v)_proj\","
                + " \"fan_in_fan_out\": true, \"modules_to_save\": [\"lm_head\"], \"bias\": \"lora_only\","
                + " \"init_lora_weights\": \"gaussian\", \"base_model_name_or_path\": \"tiny\","
                + " \"task_type\": \"CAUSAL_LM\", \"use_mora\": true, \"mora_type\": 6,"
                + " \"future_option\": {\"nested\": [1, 2.50, null]}, \"layers_to_transform\": [0, 1],"
                + " \"inference_mode\": true, \"megatron_config\": null}";
        PeftAdapterConfig config = PeftConfigFile.read(file(json));
        assertEquals(32.5, config.loraAlpha());
        assertEquals(".*\\.(q|v)_proj", config.targetModulesRegex());
        assertEquals(List.of(), config.targetModules());
        assertEquals(
                List.of("q_proj", "layers.0.self_attn.v_proj"),
                List.copyOf(config.rankPattern().keySet()));
        assertEquals(PeftAdapterConfig.Bias.LORA_ONLY, config.bias());
        assertEquals(
                List.of(
                        "use_mora",
                        "mora_type",
                        "future_option",
                        "layers_to_transform",
                        "inference_mode",
                        "megatron_config"),
                List.copyOf(config.otherKeys().keySet()));
        assertEquals(
                JsonParser.parseString("{\"nested\": [1, 2.50, null]}"),
                config.otherKeys().get("future_option"));

        Path copy = dir.resolve("copy.json");
        PeftConfigFile.write(config, copy);
        assertEquals(config, PeftConfigFile.read(copy));
        String written = Files.readString(copy);
        assertTrue(
                written.contains("\"future_option\": {\n    \"nested\": [\n      1,\n      2.50,\n      null"),
                written);
        assertTrue(written.contains("\"megatron_config\": null"), written);
        assertTrue(written.contains("\"lora_alpha\": 32.5"), written);
        assertTrue(written.contains("\"target_modules\": \".*\\\\.(q|v)_proj\""), written);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left");
        }
    }

    @Test
    void peftsCommonKeysAreWrittenSortedWithTheMethodsOwnKeys() {
        PeftAdapterConfig lora = PeftAdapterConfig.builder()
                .setR(4)
                .setTargetModules(List.of("c_attn"))
                .optOtherKeys(Map.of("use_mora", new JsonPrimitive(true)))
                .build();
        Map<String, ?> json = PeftConfigFile.toJson(lora).asMap();
        assertEquals(
                List.of(
                        "alpha_pattern",
                        "base_model_name_or_path",
                        "bias",
                        "fan_in_fan_out",
                        "init_lora_weights",
                        "lora_alpha",
                        "lora_dropout",
                        "modules_to_save",
                        "peft_type",
                        "r",
                        "rank_pattern",
                        "target_modules",
                        "task_type",
                        "use_mora",
                        "use_rslora"),
                List.copyOf(json.keySet()));
        assertEquals("true", json.get("init_lora_weights").toString(), "written as a JSON boolean");
    }

    @ParameterizedTest
    @ValueSource(strings = {"r", "target_modules", "peft_type"})
    void aMissingRequiredKeyIsNamed(String key) throws IOException {
        Map<String, String> members = new LinkedHashMap<>();
        members.put("peft_type", "\"LORA\"");
        members.put("r", "8");
        members.put("target_modules", "[\"q_proj\"]");
        members.remove(key);
        StringBuilder json = new StringBuilder("{");
        members.forEach((name, value) -> json.append(json.length() > 1 ? ", " : "")
                .append('"')
                .append(name)
                .append("\": ")
                .append(value));
        assertContains(
                "missing required key '" + key + "'", readFails(json.append('}').toString()));
        assertContains(
                "required key '" + key + "' is null",
                readFails(json.toString().replace("}", ", \"" + key + "\": null}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"r\": 8", "", "[]", "{\"r\": 8,}", "{\"r\": 8} {}", "{r: 8}"})
    void malformedJsonFails(String json) throws IOException {
        assertContains("malformed", readFails(json));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"r\": 8, \"lora_alpha\": 16, \"r\": 64}|r|$.r",
                "{\"r\": 8, \"target_modules\": [\"q\"], \"peft4j_options\": {\"a\": \"1\", \"a\": \"2\"}}|a|$.peft4j_options.a"
            })
    void aRepeatedKeyFailsNamingIt(String spec) throws IOException {
        String[] parts = spec.split("\\|");
        assertContains(
                "the key \"" + parts[1] + "\" appears twice in one object (" + parts[2] + ")", readFails(parts[0]));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"r\": \"8\"                     | 'r' must be an integer",
                "\"r\": 8.5                       | 'r' must be an integer",
                "\"r\": 4294967296                | 'r' must be an integer",
                "\"lora_alpha\": \"16\"           | 'lora_alpha' must be a number",
                "\"lora_dropout\": null           | 'lora_dropout' must be a number",
                "\"bias\": \"some\"               | 'bias' must be one of",
                "\"rank_pattern\": {\"q\": \"x\"} | 'rank_pattern' must be an object of integers",
                "\"alpha_pattern\": [1]           | 'alpha_pattern' must be an object of numbers",
                "\"modules_to_save\": \"lm_head\" | 'modules_to_save' must be a list of names or null",
                "\"init_lora_weights\": 1         | 'init_lora_weights' must be a boolean or a string",
                "\"task_type\": 3                 | 'task_type' must be a string or null",
                "\"r\": 0                         | r must be positive, got 0",
                "\"lora_dropout\": 1.0            | lora_dropout must be in [0, 1)",
                "\"rank_pattern\": {\"q(\": 4}    | Invalid module pattern 'q(': Unclosed group",
                "\"rank_pattern\": {\"q\": 0}     | rank_pattern 'q' must map to a positive rank",
            })
    void aValueOfTheWrongTypeFails(String member, String message) throws IOException {
        String json = MINIMAL.replace("\"r\": 8, ", "") + ", \"r\": 8, " + member + "}";
        assertContains(message, readFails(json.replace("\"r\": 8, \"r\"", "\"r\"")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "[1]", "[]", "{}", "[\" \"]", "\"(unclosed\""})
    void badTargetModulesFail(String targets) throws IOException {
        String json = "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": " + targets + "}";
        assertContains("target_modules", readFails(json));
    }

    @Test
    void anotherPeftTypeIsNotSupported() throws IOException {
        assertContains(
                "peft_type \"IA3\" is not supported",
                readFails("{\"peft_type\": \"IA3\", \"r\": 8, \"target_modules\": [\"k\"]}"));
    }

    @Test
    void peft4jsOwnKeysAreCheckedWhenTheFileIsRead() throws IOException {
        assertContains(
                "peft4j_options must be an object of strings, got [[1]]",
                readFails(MINIMAL + ", \"peft4j_options\": [[1]]}"));
        assertContains(
                "peft4j_options.operator must be a string, got {}",
                readFails(MINIMAL + ", \"peft4j_options\": {\"operator\": {}}}"));
        assertContains(
                "peft4j_method must be a string naming the adapter method, got 7",
                readFails(MINIMAL + ", \"peft4j_method\": 7}"));
    }

    @Test
    void aMissingFileFails() {
        PeftException error = assertThrows(PeftException.class, () -> PeftConfigFile.read(dir.resolve("absent.json")));
        assertContains("absent.json does not exist", error);
    }

    @ParameterizedTest
    @CsvSource({
        "q_proj, model.layers.0.self_attn.q_proj, true",
        "q_proj, q_proj, true",
        "q_proj, model.layers.0.self_attn.q_proj_x, false",
        "q_proj, model.layers.0.self_attn.xq_proj, false",
        "proj, model.q_proj, false",
        "layers.0.self_attn.q_proj, model.layers.0.self_attn.q_proj, true",
        "layers.0.self_attn.q_proj, model.layers.10.self_attn.q_proj, false",
        "layers.0.self_attn.q_proj, model.layers.1.self_attn.q_proj, false",
        "layers.0.self_attn.q_proj, model.layers.0.self_attn.k_proj, false",
        "layers\\.[0-2]\\..*_proj, model.layers.2.mlp.up_proj, true",
        "layers\\.[0-2]\\..*_proj, model.layers.3.mlp.up_proj, false",
    })
    void patternKeysMatchAsPeftMatchesThem(String key, String modulePath, boolean matches) {
        assertEquals(matches, AdapterConfig.patternMatches(key, modulePath));
    }

    @Test
    void theFirstMatchingPatternGivesRankAndAlpha() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("layers.0.self_attn.q_proj", 16);
        ranks.put("q_proj", 4);
        Map<String, Double> alphas = new LinkedHashMap<>();
        alphas.put("v_proj", 2.0);
        PeftAdapterConfig config = PeftAdapterConfig.builder()
                .setR(8)
                .setTargetModules(List.of("q_proj", "v_proj"))
                .optLoraAlpha(32)
                .optRankPattern(ranks)
                .optAlphaPattern(alphas)
                .build();
        AdapterConfig adapter = config.adapterConfig("lora", Map.of());
        assertEquals(16, adapter.forModule("model.layers.0.self_attn.q_proj").rank());
        assertEquals(4, adapter.forModule("model.layers.1.self_attn.q_proj").rank());
        assertEquals(8, adapter.forModule("model.layers.1.self_attn.v_proj").rank());
        assertEquals(32f, adapter.forModule("model.layers.1.self_attn.q_proj").alpha());
        assertEquals(2f, adapter.forModule("model.layers.1.self_attn.v_proj").alpha());
    }

    @Test
    void eachModuleGetsItsAdapterConfig() {
        PeftAdapterConfig.Builder builder = PeftAdapterConfig.builder()
                .setR(8)
                .setTargetModules(List.of("q_proj"))
                .optLoraAlpha(16)
                .optLoraDropout(0.05)
                .optUseRslora(true)
                .optRankPattern(Map.of("layers.1.q_proj", 2));
        AdapterConfig lora = builder.build().adapterConfig("lora", Map.of()).forModule("model.layers.0.q_proj");
        assertEquals(
                AdapterConfig.builder("lora")
                        .setRank(8)
                        .optAlpha(16)
                        .optDropout(0.05f)
                        .optRsLora(true)
                        .build(),
                lora);
        assertEquals(
                2,
                builder.build()
                        .adapterConfig("lora", Map.of())
                        .forModule("model.layers.1.q_proj")
                        .rank());

        AdapterConfig other = builder.optInitLoraWeights("gaussian")
                .build()
                .adapterConfig("full-delta", Map.of("setting", "x"))
                .forModule("q_proj");
        assertEquals("full-delta", other.method());
        assertEquals(WeightInit.GAUSSIAN, other.init());
        assertEquals(Map.of("setting", "x"), other.options());
    }

    @Test
    void targetsFollowTheShapeOfTargetModules() {
        PeftAdapterConfig.Builder builder = PeftAdapterConfig.builder().setR(8);
        assertEquals(
                "[q_proj]",
                builder.setTargetModules(List.of("q_proj")).build().targets().toString());
        assertEquals(
                "regex '.*q_proj'",
                builder.setTargetModulesRegex(".*q_proj").build().targets().toString());
        assertEquals(
                "all-linear",
                builder.setTargetModulesRegex("all-linear").build().targets().toString());
    }
}
