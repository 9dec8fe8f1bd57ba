package dev.peft4j.it;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.PeftConfigFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code adapter_config.json} files for fuzzing the reader: one of three valid files (LoRA with
 * patterns, DoRA, MoRA with peft4j's options) as PEFT lays them out, then often damaged: characters
 * flipped, inserted or deleted, the text cut short, a key (PEFT's or another) set to a hostile
 * value or removed, nesting deeper than any parser accepts, or bytes that are not UTF-8.
 */
final class FuzzedConfigs {

    private static final List<String> KEYS = List.of(
            "peft_type",
            "r",
            "lora_alpha",
            "lora_dropout",
            "use_rslora",
            "rank_pattern",
            "alpha_pattern",
            "target_modules",
            "fan_in_fan_out",
            "modules_to_save",
            "bias",
            "use_dora",
            "init_lora_weights",
            "base_model_name_or_path",
            "task_type",
            "use_mora",
            "mora_type",
            PeftAdapterConfig.PEFT4J_OPTIONS,
            PeftAdapterConfig.PEFT4J_METHOD);

    private final List<String> valid;

    /**
     * Writes the three valid files with {@link PeftConfigFile#write} and keeps their text.
     *
     * @param work a directory to write them in
     */
    FuzzedConfigs(Path work) {
        PeftAdapterConfig lora = PeftAdapterConfig.builder()
                .setR(8)
                .setTargetModules(List.of("q_proj", "v_proj"))
                .optLoraAlpha(16)
                .optRankPattern(Map.of("q_proj", 4))
                .optAlphaPattern(Map.of("v_proj", 32.0))
                .optModulesToSave(List.of("classifier"))
                .build();
        PeftAdapterConfig dora = PeftAdapterConfig.builder()
                .setR(4)
                .setTargetModulesRegex(".*attn.*")
                .optOtherKeys(Map.of("use_dora", new JsonPrimitive(true)))
                .build();
        JsonObject options = new JsonObject();
        options.addProperty("operator", "rotation");
        options.addProperty("generalized", "true");
        PeftAdapterConfig mora = PeftAdapterConfig.builder()
                .setR(2)
                .setTargetModulesRegex("all-linear")
                .optOtherKeys(Map.of(
                        "use_mora",
                        new JsonPrimitive(true),
                        "mora_type",
                        new JsonPrimitive(6),
                        PeftAdapterConfig.PEFT4J_OPTIONS,
                        options))
                .build();
        this.valid = List.of(text(lora, work), text(dora, work), text(mora, work));
    }

    private static String text(PeftAdapterConfig config, Path work) {
        try {
            Path file = work.resolve("valid.json");
            PeftConfigFile.write(config, file);
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A valid file from a seed that then repeats one key, at the top or inside an object.
     *
     * @param seed the seed
     * @return the bytes
     */
    byte[] withARepeatedKey(long seed) {
        Random random = new Random(seed);
        JsonObject object =
                JsonParser.parseString(valid.get(random.nextInt(valid.size()))).getAsJsonObject();
        return Hostile.repeatAKey(random, object).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A file's bytes from a seed.
     *
     * @param seed the seed
     * @return the bytes, valid or damaged
     */
    byte[] of(long seed) {
        Random random = new Random(seed);
        String text = valid.get(random.nextInt(valid.size()));
        switch (random.nextInt(7)) {
            case 0:
                return text.getBytes(StandardCharsets.UTF_8);
            case 1:
                return Hostile.damage(random, text);
            case 2:
            case 3: {
                JsonObject object = JsonParser.parseString(text).getAsJsonObject();
                String key = random.nextInt(6) == 0 ? Hostile.string(random) : KEYS.get(random.nextInt(KEYS.size()));
                if (random.nextInt(5) == 0) {
                    object.remove(key);
                } else {
                    object.add(key, Hostile.value(random, 3));
                }
                return object.toString().getBytes(StandardCharsets.UTF_8);
            }
            case 4: {
                String key = KEYS.get(random.nextInt(KEYS.size()));
                String deep = Hostile.deepText(100 + random.nextInt(20_000));
                return text.replaceFirst("\"" + key + "\": [^\\n]*\\n", "\"" + key + "\": " + deep + ",\n")
                        .getBytes(StandardCharsets.UTF_8);
            }
            case 5: {
                JsonObject object = JsonParser.parseString(text).getAsJsonObject();
                object.add(KEYS.get(random.nextInt(KEYS.size())), Hostile.number(random));
                return object.toString().getBytes(StandardCharsets.UTF_8);
            }
            default:
                return Hostile.flip(random, text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
