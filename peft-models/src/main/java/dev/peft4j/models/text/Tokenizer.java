package dev.peft4j.models.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A Hugging Face model's tokenizer, read from its directory: {@code tokenizer.json} through Hugging
 * Face's Rust tokenizers (DJL's binding, offline), special tokens from {@code
 * tokenizer_config.json}, {@code special_tokens_map.json}, {@code config.json} and {@code
 * generation_config.json}, and the chat template.
 *
 * <p>Encoding never truncates or pads, whatever {@code tokenizer.json} says; with special tokens
 * it adds what the tokenizer's post-processor adds (for example a BOS token), as transformers'
 * {@code tokenizer(text)} does.
 *
 * <p>The chat template comes from {@code chat_template.jinja} if present, else {@code
 * chat_template.json}, else the {@code chat_template} of {@code tokenizer_config.json} (a string,
 * or a list of named templates of which the one named {@code default} is taken).
 *
 * <p>Holds native memory: close it.
 */
public final class Tokenizer implements AutoCloseable {

    /** The tokenizer's file in a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private final Path directory;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, String> specialTokens;
    private final OptionalLong bosId;
    private final long[] eosIds;
    private final OptionalLong padId;
    private final ChatTemplate chatTemplate;
    private final PeftException chatTemplateProblem;
    private volatile boolean closed;

    private Tokenizer(
            Path directory,
            HuggingFaceTokenizer tokenizer,
            JsonObject tokenizerConfig,
            Map<String, String> specialTokens,
            List<JsonObject> idConfigs,
            List<Path> idFiles) {
        this.directory = directory;
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        Map<Long, String> addedTokens = addedTokens(tokenizerConfig);
        this.bosId = firstId(idConfigs, idFiles, "bos_token_id", specialTokens.get("bos_token"), addedTokens);
        this.padId = firstId(idConfigs, idFiles, "pad_token_id", specialTokens.get("pad_token"), addedTokens);
        Set<Long> eos = new LinkedHashSet<>();
        for (int i = 0; i < idConfigs.size(); i++) {
            eos.addAll(TokenizerFiles.tokenIds(idConfigs.get(i), "eos_token_id", idFiles.get(i)));
        }
        tokenId(specialTokens.get("eos_token"), addedTokens).ifPresent(eos::add);
        this.eosIds = eos.stream().mapToLong(Long::longValue).toArray();
        ChatTemplate template = null;
        PeftException problem = null;
        try {
            String source = chatTemplateSource(directory, tokenizerConfig);
            template = source == null ? null : ChatTemplate.of(source, specialTokens);
        } catch (PeftException e) {
            problem = e;
        }
        this.chatTemplate = template;
        this.chatTemplateProblem = problem;
    }

    /**
     * Loads the tokenizer of a Hugging Face model directory.
     *
     * @param modelDirectory a directory holding {@code tokenizer.json}, and optionally {@code
     *     tokenizer_config.json}, {@code special_tokens_map.json}, {@code config.json}, {@code
     *     generation_config.json} and a chat template file
     * @return the tokenizer; close it
     * @throws PeftException when the directory has no {@code tokenizer.json}, when Hugging Face
     *     tokenizers cannot load it (naming the file and the cause), or when one of the other
     *     files is malformed (naming it)
     */
    public static Tokenizer load(Path modelDirectory) {
        Objects.requireNonNull(modelDirectory, "modelDirectory");
        if (!Files.isDirectory(modelDirectory)) {
            throw new PeftException(modelDirectory + " is not a directory; expected a Hugging Face model directory"
                    + " holding " + TOKENIZER_FILE);
        }
        Path file = modelDirectory.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new PeftException("No " + TOKENIZER_FILE + " in " + modelDirectory
                    + ": a Hugging Face model directory holds its (fast) tokenizer as " + TOKENIZER_FILE);
        }
        Path configFile = modelDirectory.resolve(TOKENIZER_CONFIG);
        Path mapFile = modelDirectory.resolve("special_tokens_map.json");
        JsonObject tokenizerConfig = TokenizerFiles.readObject(configFile).orElseGet(JsonObject::new);
        JsonObject specialTokensMap = TokenizerFiles.readObject(mapFile).orElseGet(JsonObject::new);
        Map<String, String> specialTokens = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token")) {
            String text = TokenizerFiles.tokenText(tokenizerConfig, key, configFile);
            if (text == null) {
                text = TokenizerFiles.tokenText(specialTokensMap, key, mapFile);
            }
            if (text != null) {
                specialTokens.put(key, text);
            }
        }
        List<JsonObject> idConfigs = new ArrayList<>();
        List<Path> idFiles = new ArrayList<>();
        for (String name : List.of("generation_config.json", "config.json")) {
            Path idFile = modelDirectory.resolve(name);
            TokenizerFiles.readObject(idFile).ifPresent(object -> {
                idConfigs.add(object);
                idFiles.add(idFile);
            });
        }
        HuggingFaceTokenizer tokenizer = open(file);
        try {
            return new Tokenizer(
                    modelDirectory, tokenizer, tokenizerConfig, Map.copyOf(specialTokens), idConfigs, idFiles);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private static HuggingFaceTokenizer open(Path file) {
        try {
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new PeftException(file + " cannot be loaded by Hugging Face tokenizers: " + e.getMessage(), e);
        }
    }

    /**
     * The directory the tokenizer was loaded from.
     *
     * @return the model directory
     */
    public Path directory() {
        return directory;
    }

    /**
     * Encodes text.
     *
     * @param text any text
     * @param addSpecialTokens whether to add what the tokenizer's post-processor adds (for example
     *     a leading BOS); special tokens written in the text are always recognized
     * @return the token ids, as long as the text needs: never truncated or padded
     * @throws IllegalStateException when the tokenizer is closed
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        return open().encode(text, addSpecialTokens, false).getIds();
    }

    /**
     * Decodes token ids.
     *
     * @param ids token ids
     * @param skipSpecialTokens whether to leave special tokens (BOS, EOS, chat markers) out
     * @return the text
     * @throws IllegalStateException when the tokenizer is closed
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        Objects.requireNonNull(ids, "ids");
        return open().decode(ids, skipSpecialTokens);
    }

    /**
     * The id of a token's text, when the text is one token: an added or special token such as
     * {@code "<|im_end|>"}, or a word of the vocabulary.
     *
     * @param token the token's text
     * @return its id, or empty when the text is not exactly one token
     * @throws IllegalStateException when the tokenizer is closed
     */
    public OptionalLong tokenId(String token) {
        Objects.requireNonNull(token, "token");
        return tokenId(token, Map.of());
    }

    private OptionalLong tokenId(String token, Map<Long, String> addedTokens) {
        if (token == null || token.isEmpty()) {
            return OptionalLong.empty();
        }
        for (Map.Entry<Long, String> added : addedTokens.entrySet()) {
            if (added.getValue().equals(token)) {
                return OptionalLong.of(added.getKey());
            }
        }
        long[] ids = encode(token, false);
        return ids.length == 1 && decode(ids, false).equals(token) ? OptionalLong.of(ids[0]) : OptionalLong.empty();
    }

    /**
     * The beginning-of-sequence token's id: {@code bos_token_id} of {@code generation_config.json},
     * else of {@code config.json}, else the id of {@link #bosToken()}.
     *
     * @return the id, or empty when the model names none
     */
    public OptionalLong bosId() {
        return bosId;
    }

    /**
     * The ids that end generation: the union of {@code eos_token_id} (an id or a list) of {@code
     * generation_config.json} and {@code config.json} and the id of {@link #eosToken()}, in that
     * order.
     *
     * @return the ids, possibly none; a copy
     */
    public long[] eosIds() {
        return eosIds.clone();
    }

    /**
     * The padding token's id: {@code pad_token_id} of {@code generation_config.json}, else of
     * {@code config.json}, else the id of {@code tokenizer_config.json}'s {@code pad_token}.
     *
     * @return the id, or empty when the model names none
     */
    public OptionalLong padId() {
        return padId;
    }

    /**
     * The beginning-of-sequence token's text, from {@code tokenizer_config.json} (or {@code
     * special_tokens_map.json}).
     *
     * @return the text, or null when none is named
     */
    public String bosToken() {
        return specialTokens.get("bos_token");
    }

    /**
     * The end-of-sequence token's text, from {@code tokenizer_config.json} (or {@code
     * special_tokens_map.json}).
     *
     * @return the text, or null when none is named
     */
    public String eosToken() {
        return specialTokens.get("eos_token");
    }

    /**
     * The model's chat template, which sees {@code bos_token}, {@code eos_token}, {@code
     * unk_token} and {@code pad_token} as this tokenizer names them.
     *
     * @return the template, or empty when the model has none
     * @throws PeftException when the model has a template that peft4j cannot use: one it cannot
     *     parse, or a list of named templates without one named {@code default}
     */
    public Optional<ChatTemplate> chatTemplate() {
        if (chatTemplateProblem != null) {
            throw new PeftException(chatTemplateProblem.getMessage(), chatTemplateProblem);
        }
        return Optional.ofNullable(chatTemplate);
    }

    /** Frees the native tokenizer; later calls fail. Closing twice does nothing. */
    @Override
    public void close() {
        closed = true;
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "Tokenizer[" + directory + "]";
    }

    private HuggingFaceTokenizer open() {
        if (closed) {
            throw new IllegalStateException("The tokenizer of " + directory + " is closed");
        }
        return tokenizer;
    }

    private OptionalLong firstId(
            List<JsonObject> configs, List<Path> files, String key, String token, Map<Long, String> addedTokens) {
        for (int i = 0; i < configs.size(); i++) {
            List<Long> ids = TokenizerFiles.tokenIds(configs.get(i), key, files.get(i));
            if (!ids.isEmpty()) {
                return OptionalLong.of(ids.get(0));
            }
        }
        return tokenId(token, addedTokens);
    }

    /** {@code added_tokens_decoder} of {@code tokenizer_config.json}: id to text. */
    private static Map<Long, String> addedTokens(JsonObject tokenizerConfig) {
        Map<Long, String> added = new LinkedHashMap<>();
        if (tokenizerConfig.get("added_tokens_decoder") instanceof JsonObject decoder) {
            for (Map.Entry<String, JsonElement> entry : decoder.entrySet()) {
                if (entry.getKey().matches("[0-9]{1,18}")
                        && entry.getValue() instanceof JsonObject token
                        && token.get("content") instanceof JsonPrimitive content
                        && content.isString()) {
                    added.put(Long.parseLong(entry.getKey()), content.getAsString());
                }
            }
        }
        return added;
    }

    /** The chat template's text, from the first place that has one; null when none does. */
    private static String chatTemplateSource(Path directory, JsonObject tokenizerConfig) {
        Path jinjaFile = directory.resolve("chat_template.jinja");
        try {
            return Files.readString(jinjaFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            // next place
        } catch (IOException e) {
            throw new PeftException("Cannot read " + jinjaFile + ": " + e.getMessage(), e);
        }
        Path jsonFile = directory.resolve("chat_template.json");
        Optional<JsonObject> json = TokenizerFiles.readObject(jsonFile);
        if (json.isPresent()) {
            return chatTemplateValue(json.get(), jsonFile);
        }
        return chatTemplateValue(tokenizerConfig, directory.resolve(TOKENIZER_CONFIG));
    }

    private static String chatTemplateValue(JsonObject object, Path file) {
        JsonElement value = object.get("chat_template");
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value instanceof JsonPrimitive primitive && primitive.isString()) {
            return primitive.getAsString();
        }
        if (value instanceof JsonArray templates) {
            List<String> names = new ArrayList<>();
            for (JsonElement item : templates) {
                if (!(item instanceof JsonObject named
                        && named.get("name") instanceof JsonPrimitive name
                        && name.isString()
                        && named.get("template") instanceof JsonPrimitive template
                        && template.isString())) {
                    throw new PeftException(file + ": chat_template holds " + item
                            + "; expected objects with a \"name\" and a \"template\" string");
                }
                if (name.getAsString().equals("default")) {
                    return template.getAsString();
                }
                names.add(name.getAsString());
            }
            throw new PeftException(
                    file + ": chat_template has templates named " + names + " but none named \"default\"");
        }
        throw new PeftException(file + ": chat_template is " + value
                + "; expected a string or a list of {\"name\", \"template\"} objects");
    }
}
