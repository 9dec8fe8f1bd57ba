package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.models.text.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDataTest {

    /** stories260k's ids of this text with its BOS, as transformers gives them. */
    private static final String TEXT = "Once upon a time 12345 café";

    private static final long[] TEXT_IDS = {1, 403, 407, 261, 378, 410, 475, 479, 472, 484, 480, 280, 412, 431, 485};

    private static final String SMOL_SYSTEM =
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM," + " trained by Hugging Face<|im_end|>\n";

    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        return Files.writeString(dir.resolve("data.jsonl"), String.join("\n", lines) + "\n");
    }

    /** A {@code {"messages": [...]}} line from role, content pairs. */
    static String messages(String... roleContent) {
        JsonArray messages = new JsonArray();
        for (int i = 0; i < roleContent.length; i += 2) {
            JsonObject message = new JsonObject();
            message.addProperty("role", roleContent[i]);
            message.addProperty("content", roleContent[i + 1]);
            messages.add(message);
        }
        JsonObject line = new JsonObject();
        line.add("messages", messages);
        return line.toString();
    }

    private static long[] concat(long[]... parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    private static boolean[] flags(int untrained, int trained) {
        boolean[] flags = new boolean[untrained + trained];
        Arrays.fill(flags, untrained, flags.length, true);
        return flags;
    }

    /** Expected ids and flags, built piece by piece with the tokenizer directly. */
    private static final class Expected {
        private final Tokenizer tokenizer;
        private final List<Long> ids = new ArrayList<>();
        private final List<Boolean> trained = new ArrayList<>();

        Expected(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        Expected piece(String text, boolean isTrained) {
            for (long id : tokenizer.encode(text, false)) {
                ids.add(id);
                trained.add(isTrained);
            }
            return this;
        }

        void check(TrainingExample example) {
            assertArrayEquals(ids.stream().mapToLong(Long::longValue).toArray(), example.inputIds());
            boolean[] flags = new boolean[trained.size()];
            for (int i = 0; i < flags.length; i++) {
                flags[i] = trained.get(i);
            }
            assertArrayEquals(flags, example.trained());
        }
    }

    /** The ids whose flag is set, decoded with special tokens. */
    private static String trainedText(Tokenizer tokenizer, TrainingExample example) {
        long[] ids = new long[(int) example.trainedTokens()];
        int n = 0;
        for (int t = 0; t < example.inputIds().length; t++) {
            if (example.trained()[t]) {
                ids[n++] = example.inputIds()[t];
            }
        }
        return tokenizer.decode(ids, false);
    }

    @Test
    void textGetsBosAndEosAndTrainsAllButTheFirstToken() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.STORIES_260K)) {
            Path file = write("{\"text\": \"" + TEXT + "\"}");
            TrainingData data = JsonlData.read(file, tokenizer, 512);
            assertEquals(1, data.examples().size());
            TrainingExample example = data.examples().get(0);
            assertArrayEquals(concat(TEXT_IDS, new long[] {2}), example.inputIds());
            assertArrayEquals(flags(1, TEXT_IDS.length), example.trained());
            assertEquals(TEXT_IDS.length, data.trainedTokens());
            assertEquals(0, data.truncated());
            assertEquals(file, data.source());
        }
    }

    @Test
    void textAlreadyEndingWithEosGetsNoSecondOne() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.STORIES_260K)) {
            TrainingData data = JsonlData.read(write("{\"text\": \"a cat</s>\"}"), tokenizer, 512);
            assertArrayEquals(
                    new long[] {1, 261, 280, 294, 2}, data.examples().get(0).inputIds());
            assertArrayEquals(flags(1, 4), data.examples().get(0).trained());
        }
    }

    @Test
    void promptCompletionTrainsTheCompletionAndEosOnly() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.STORIES_260K)) {
            String prompt = "Once upon a time";
            String completion = " there was a cat.";
            TrainingData data = JsonlData.read(
                    write("{\"prompt\": \"" + prompt + "\", \"completion\": \"" + completion + "\"}"), tokenizer, 512);
            TrainingExample example = data.examples().get(0);
            long[] expected = {1, 403, 407, 261, 378, 410, 383, 286, 261, 280, 294, 426, 2};
            assertArrayEquals(expected, example.inputIds());
            assertArrayEquals(
                    concat(tokenizer.encode(prompt, true), tokenizer.encode(completion, false), new long[] {2}),
                    example.inputIds());
            assertArrayEquals(flags(5, 8), example.trained());
            assertEquals(8, data.trainedTokens());
        }
    }

    @Test
    void withoutBosOrEosNothingIsAddedAndTheFirstTokenIsNeverTrained() throws IOException {
        try (Tokenizer tokenizer = TestModels.wordLevel(Files.createDirectory(dir.resolve("model")))) {
            TrainingData data = JsonlData.read(
                    write(
                            "{\"text\": \"a b c\"}",
                            "{\"prompt\": \"a\", \"completion\": \"b c\"}",
                            "{\"prompt\": \"\", \"completion\": \"a b\"}"),
                    tokenizer,
                    16);
            assertArrayEquals(new long[] {1, 2, 3}, data.examples().get(0).inputIds());
            assertArrayEquals(flags(1, 2), data.examples().get(0).trained());
            assertArrayEquals(new long[] {1, 2, 3}, data.examples().get(1).inputIds());
            assertArrayEquals(flags(1, 2), data.examples().get(1).trained());
            assertArrayEquals(new long[] {1, 2}, data.examples().get(2).inputIds());
            assertArrayEquals(
                    flags(1, 1),
                    data.examples().get(2).trained(),
                    "an empty prompt leaves the completion first, whose first token has nothing to be predicted from");
            assertEquals(5, data.trainedTokens());
        }
    }

    @Test
    void chatMlTrainsTheAssistantContentItsEndAndNewlineOnly() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.SMOLLM2)) {
            TrainingData data =
                    JsonlData.read(write(messages("user", "Hi", "assistant", "Hello there")), tokenizer, 512);
            TrainingExample example = data.examples().get(0);
            new Expected(tokenizer)
                    .piece(SMOL_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", false)
                    .piece("Hello there<|im_end|>\n", true)
                    .check(example);
            assertEquals("Hello there<|im_end|>\n", trainedText(tokenizer, example));
            long[] whole = tokenizer.encode(
                    SMOL_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello there<|im_end|>\n",
                    false);
            assertArrayEquals(whole, example.inputIds(), "ChatML's pieces tokenize as the whole text does");
        }
    }

    @Test
    void chatMlTrainsEveryAssistantTurnAndNotTheTurnsAround() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.SMOLLM2)) {
            TrainingData data = JsonlData.read(
                    write(messages(
                            "system",
                            "Be brief.",
                            "user",
                            "Hi",
                            "assistant",
                            "Hello",
                            "user",
                            "Name?",
                            "assistant",
                            "Smol",
                            "user",
                            "Bye")),
                    tokenizer,
                    512);
            TrainingExample example = data.examples().get(0);
            new Expected(tokenizer)
                    .piece(
                            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                                    + "<|im_start|>assistant\n",
                            false)
                    .piece("Hello<|im_end|>\n", true)
                    .piece("<|im_start|>user\nName?<|im_end|>\n<|im_start|>assistant\n", false)
                    .piece("Smol<|im_end|>\n", true)
                    .piece("<|im_start|>user\nBye<|im_end|>\n", false)
                    .check(example);
            assertEquals("Hello<|im_end|>\nSmol<|im_end|>\n", trainedText(tokenizer, example));
            assertEquals(tokenizer.encode("Hello<|im_end|>\nSmol<|im_end|>\n", false).length, data.trainedTokens());
        }
    }

    @Test
    void aConversationWithoutAssistantIsAnExampleWithoutTrainedTokens() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.SMOLLM2)) {
            TrainingData data = JsonlData.read(
                    write(messages("user", "Hi"), messages("user", "Hi", "assistant", "Yo")), tokenizer, 512);
            assertEquals(2, data.examples().size());
            TrainingExample untrained = data.examples().get(0);
            assertEquals(0, untrained.trainedTokens());
            assertArrayEquals(
                    tokenizer.encode(SMOL_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n", false), untrained.inputIds());
            assertEquals(data.examples().get(1).trainedTokens(), data.trainedTokens());
        }
    }

    @Test
    void aFileMayMixShapesAndCarryExtraKeys() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.SMOLLM2)) {
            JsonObject chat = JsonParser.parseString(messages("user", "Hi", "assistant", "Hey"))
                    .getAsJsonObject();
            chat.addProperty("id", 3);
            chat.getAsJsonArray("messages").get(0).getAsJsonObject().addProperty("name", "Ann");
            TrainingData data = JsonlData.read(
                    write(
                            "{\"text\": \"Hello world\", \"id\": 1, \"meta\": {\"source\": [1, 2]}}",
                            "{\"prompt\": \"Say hi\", \"completion\": \" hi\", \"id\": 2, \"score\": null}",
                            chat.toString()),
                    tokenizer,
                    512);
            assertEquals(3, data.examples().size());
            long[] hello = tokenizer.encode("Hello world", true);
            assertArrayEquals(
                    concat(hello, new long[] {2}),
                    data.examples().get(0).inputIds(),
                    "SmolLM2 adds no BOS; its EOS is <|im_end|> = 2");
            long[] prompt = tokenizer.encode("Say hi", true);
            long[] completion = tokenizer.encode(" hi", false);
            assertArrayEquals(
                    concat(prompt, completion, new long[] {2}),
                    data.examples().get(1).inputIds());
            assertArrayEquals(
                    flags(prompt.length, completion.length + 1),
                    data.examples().get(1).trained());
            new Expected(tokenizer)
                    .piece(SMOL_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", false)
                    .piece("Hey<|im_end|>\n", true)
                    .check(data.examples().get(2));
            long sum = data.examples().stream()
                    .mapToLong(TrainingExample::trainedTokens)
                    .sum();
            assertEquals(sum, data.trainedTokens());
        }
    }

    @Test
    void longSequencesKeepTheirFirstTokensAndAreCounted() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.STORIES_260K)) {
            TrainingData data = JsonlData.read(
                    write(
                            "{\"text\": \"" + TEXT + "\"}",
                            "{\"text\": \"\"}",
                            "{\"text\": \"cat\"}",
                            "{\"prompt\": \"Once upon a time\", \"completion\": \" there\"}"),
                    tokenizer,
                    4);
            assertEquals(4, data.examples().size());
            assertArrayEquals(Arrays.copyOf(TEXT_IDS, 4), data.examples().get(0).inputIds());
            assertArrayEquals(flags(1, 3), data.examples().get(0).trained());
            assertArrayEquals(new long[] {1, 2}, data.examples().get(1).inputIds(), "an empty text is BOS, EOS");
            assertArrayEquals(
                    new long[] {1, 280, 294, 2},
                    data.examples().get(2).inputIds(),
                    "exactly maxLength tokens is not truncated");
            assertArrayEquals(
                    new long[] {1, 403, 407, 261}, data.examples().get(3).inputIds());
            assertEquals(0, data.examples().get(3).trainedTokens(), "the completion was cut off");
            assertEquals(2, data.truncated());
            assertEquals(3 + 1 + 3, data.trainedTokens());
        }
    }

    @Test
    void blankLinesByteOrderMarkAndCrLfAreSkipped() throws IOException {
        try (Tokenizer tokenizer = TestModels.tokenizer(TestModels.STORIES_260K)) {
            Path file = dir.resolve("data.jsonl");
            Files.writeString(
                    file,
                    "\uFEFF{\"text\": \"a cat\"}\r\n\r\n   \n\t\n{\"text\": \"" + TEXT + "\"}",
                    StandardCharsets.UTF_8);
            TrainingData data = JsonlData.read(file, tokenizer, 512);
            assertEquals(2, data.examples().size());
            assertArrayEquals(
                    new long[] {1, 261, 280, 294, 2}, data.examples().get(0).inputIds());
            assertArrayEquals(
                    concat(TEXT_IDS, new long[] {2}), data.examples().get(1).inputIds());
            assertFalse(data.examples().get(1).trained()[0]);
            assertTrue(data.examples().get(1).trained()[1]);
        }
    }
}
