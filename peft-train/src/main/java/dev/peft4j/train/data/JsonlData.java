package dev.peft4j.train.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.peft4j.models.text.ChatMessage;
import dev.peft4j.models.text.ChatTemplate;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads fine-tuning data for a causal language model from a JSONL file: one JSON object per
 * non-blank line, in one of three shapes (a file may mix them; other keys are ignored).
 *
 * <ul>
 *   <li>{@code {"text": "..."}}: the text encoded with the tokenizer's special tokens (a BOS when
 *       its post-processor adds one), then the first EOS id unless the tokenizer has none or it is
 *       already last; every token but the first is trained.
 *   <li>{@code {"prompt": "...", "completion": "..."}}: the prompt encoded with special tokens,
 *       the completion without, then the EOS as above; only the completion and the EOS are
 *       trained.
 *   <li>{@code {"messages": [{"role": "...", "content": "..."}, ...]}}: the conversation rendered
 *       with the tokenizer's chat template; only the assistant turns are trained, from the end of
 *       the assistant header to the end of the turn as the template renders it (for ChatML, the
 *       content, {@code <|im_end|>} and the newline). Each piece is encoded without added special
 *       tokens, as transformers' {@code apply_chat_template} does.
 * </ul>
 *
 * <p>Sequences longer than the maximum length keep their first tokens and are counted as
 * truncated. A line may end up with no trained token (it still counts as an example), but a file
 * must have at least one.
 */
public final class JsonlData {

    private static final String SHAPES = "{\"text\": \"...\"}, {\"prompt\": \"...\", \"completion\": \"...\"}"
            + " or {\"messages\": [{\"role\": \"...\", \"content\": \"...\"}, ...]}";

    private static final int FOUND_LENGTH = 60;

    private final Path file;
    private final Tokenizer tokenizer;
    private final long[] eos;
    private ChatTemplate chatTemplate;

    private JsonlData(Path file, Tokenizer tokenizer) {
        this.file = file;
        this.tokenizer = tokenizer;
        long[] eosIds = tokenizer.eosIds();
        this.eos = eosIds.length == 0 ? new long[0] : new long[] {eosIds[0]};
    }

    /**
     * Reads and tokenizes every non-blank line.
     *
     * @param file a UTF-8 JSONL file
     * @param tokenizer the model's tokenizer; not closed
     * @param maxLength the most tokens an example keeps, at least 2
     * @return the examples, one per non-blank line in file order, each of 1 to {@code maxLength}
     *     tokens
     * @throws IllegalArgumentException when {@code maxLength} is less than 2
     * @throws PeftException when the file is missing or unreadable (naming it); when a line is not
     *     a JSON object, has none or more than one of the three shapes, has a value of the wrong
     *     type, a message without a string role and content, or gives no tokens, or when the
     *     conversation cannot be rendered (no chat template, a template that fails or is not
     *     incremental), naming {@code file:line}; when the file has no examples or no trained
     *     token at all (naming the file)
     */
    public static TrainingData read(Path file, Tokenizer tokenizer, int maxLength) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength is " + maxLength
                    + "; expected at least 2, for a token to predict from and one to predict");
        }
        return new JsonlData(file, tokenizer).readAll(maxLength);
    }

    private TrainingData readAll(int maxLength) {
        if (Files.isDirectory(file)) {
            throw new PeftException(file + " is a directory; expected a JSONL file");
        }
        List<TrainingExample> examples = new ArrayList<>();
        int truncated = 0;
        long trainedTokens = 0;
        int lineNumber = 0;
        try (Utf8Lines lines = new Utf8Lines(file)) {
            for (String line = lines.next(); line != null; line = lines.next()) {
                lineNumber++;
                if (lineNumber == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ":" + lineNumber;
                TokenSequence sequence = sequence(where, line);
                if (sequence.size() == 0) {
                    throw new PeftException(where + ": the line gives no tokens: its text is empty and the"
                            + " tokenizer adds no BOS or EOS");
                }
                if (sequence.size() > maxLength) {
                    truncated++;
                }
                TrainingExample example = sequence.toExample(maxLength);
                trainedTokens += example.trainedTokens();
                examples.add(example);
            }
        } catch (NoSuchFileException e) {
            throw new PeftException(file + ": no such file; expected a JSONL file of training data", e);
        } catch (CharacterCodingException e) {
            throw new PeftException(file + ":" + (lineNumber + 1) + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new PeftException(file + ": no examples: the file is empty or has only blank lines; expected one"
                    + " JSON object per line: " + SHAPES);
        }
        if (trainedTokens == 0) {
            throw new PeftException(file + ": none of its " + examples.size() + " examples has a trained token"
                    + " (after truncation to " + maxLength + " tokens); a token is trained when it is text after"
                    + " the first token, a completion, an EOS or an assistant message");
        }
        return new TrainingData(examples, truncated, trainedTokens, file);
    }

    private TokenSequence sequence(String where, String line) {
        JsonObject object = parseObject(where, line);
        boolean text = object.has("text");
        boolean promptCompletion = object.has("prompt") || object.has("completion");
        boolean messages = object.has("messages");
        int shapes = (text ? 1 : 0) + (promptCompletion ? 1 : 0) + (messages ? 1 : 0);
        if (shapes == 0) {
            throw new PeftException(where + ": expected one of " + SHAPES + "; found the keys " + object.keySet());
        }
        if (shapes > 1) {
            throw new PeftException(where + ": has the keys of more than one shape " + keys(object)
                    + "; expected exactly one of " + SHAPES);
        }
        TokenSequence sequence = new TokenSequence();
        if (text) {
            sequence.append(tokenizer.encode(string(where, object, "text"), true), true);
            appendEos(sequence);
        } else if (promptCompletion) {
            for (String key : List.of("prompt", "completion")) {
                if (!object.has(key)) {
                    throw new PeftException(where + ": has \"" + (key.equals("prompt") ? "completion" : "prompt")
                            + "\" but no \"" + key + "\"; expected {\"prompt\": \"...\", \"completion\": \"...\"}");
                }
            }
            String prompt = string(where, object, "prompt");
            String completion = string(where, object, "completion");
            sequence.append(tokenizer.encode(prompt, true), false);
            sequence.append(tokenizer.encode(completion, false), true);
            appendEos(sequence);
        } else {
            ChatPieces.append(sequence, messages(where, object), chatTemplate(where), tokenizer, where);
        }
        return sequence;
    }

    private void appendEos(TokenSequence sequence) {
        if (eos.length > 0 && (sequence.size() == 0 || sequence.last() != eos[0])) {
            sequence.append(eos, true);
        }
    }

    private ChatTemplate chatTemplate(String where) {
        if (chatTemplate == null) {
            Optional<ChatTemplate> template;
            try {
                template = tokenizer.chatTemplate();
            } catch (PeftException e) {
                throw new PeftException(
                        where + ": cannot use the chat template of " + tokenizer.directory() + ": " + e.getMessage(),
                        e);
            }
            chatTemplate = template.orElseThrow(() -> new PeftException(where + ": \"messages\" needs a chat"
                    + " template, but the tokenizer of " + tokenizer.directory() + " has none; use {\"text\": ...}"
                    + " or {\"prompt\": ..., \"completion\": ...} lines instead"));
        }
        return chatTemplate;
    }

    private static List<ChatMessage> messages(String where, JsonObject object) {
        if (!(object.get("messages") instanceof JsonArray array)) {
            throw new PeftException(where + ": expected \"messages\" to be an array of {\"role\": \"...\","
                    + " \"content\": \"...\"} objects, found " + found(object.get("messages")));
        }
        if (array.isEmpty()) {
            throw new PeftException(where + ": \"messages\" is empty; expected at least one message");
        }
        List<ChatMessage> messages = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String name = "messages[" + i + "]";
            if (!(array.get(i) instanceof JsonObject message)) {
                throw new PeftException(where + ": expected " + name + " to be an object with a string \"role\" and"
                        + " \"content\", found " + found(array.get(i)));
            }
            String role = messageString(where, message, name, "role");
            String content = messageString(where, message, name, "content");
            if (role.isBlank()) {
                throw new PeftException(where + ": " + name + " has a blank \"role\"; expected for example"
                        + " \"system\", \"user\" or \"assistant\"");
            }
            messages.add(new ChatMessage(role, content));
        }
        return messages;
    }

    private static String messageString(String where, JsonObject message, String name, String key) {
        if (!message.has(key)) {
            throw new PeftException(where + ": " + name + " has no \"" + key + "\"; expected a string");
        }
        JsonElement value = message.get(key);
        if (value instanceof JsonPrimitive primitive && primitive.isString()) {
            return primitive.getAsString();
        }
        throw new PeftException(
                where + ": expected the \"" + key + "\" of " + name + " to be a string, found " + found(value));
    }

    private static String string(String where, JsonObject object, String key) {
        JsonElement value = object.get(key);
        if (value instanceof JsonPrimitive primitive && primitive.isString()) {
            return primitive.getAsString();
        }
        throw new PeftException(where + ": expected \"" + key + "\" to be a string, found " + found(value));
    }

    private static JsonObject parseObject(String where, String line) {
        JsonReader reader = new JsonReader(new StringReader(line));
        reader.setStrictness(Strictness.STRICT);
        JsonElement element;
        try {
            element = StrictJson.parseTree(reader);
        } catch (JsonParseException e) {
            throw new PeftException(where + ": not valid JSON: " + gsonMessage(e), e);
        }
        boolean trailing;
        try {
            trailing = reader.peek() != JsonToken.END_DOCUMENT;
        } catch (IOException e) {
            trailing = true;
        }
        if (trailing) {
            throw new PeftException(where + ": not valid JSON: more text follows the first JSON value; expected"
                    + " one JSON object per line");
        }
        if (element instanceof JsonObject object) {
            return object;
        }
        throw new PeftException(where + ": expected a JSON object (" + SHAPES + "), found " + found(element));
    }

    /** Gson's message without its link and with the column only, as the line is the file's. */
    private static String gsonMessage(JsonParseException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e.getCause() != null && e.getCause().getMessage() != null) {
            message = e.getCause().getMessage();
        }
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        return message.replace(" at line 1 column ", " at column ")
                .replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "malformed JSON");
    }

    private static String keys(JsonObject object) {
        List<String> shapeKeys = new ArrayList<>();
        for (String key : List.of("text", "prompt", "completion", "messages")) {
            if (object.has(key)) {
                shapeKeys.add("\"" + key + "\"");
            }
        }
        return "(" + String.join(", ", shapeKeys) + ")";
    }

    private static String found(JsonElement value) {
        String json = value == null ? "nothing" : value.toString();
        return json.length() <= FOUND_LENGTH ? json : json.substring(0, FOUND_LENGTH) + "...";
    }
}
