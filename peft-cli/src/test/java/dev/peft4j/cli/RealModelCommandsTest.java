package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.testkit.Stories260k;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j generate} and {@code peft4j perplexity} on the real stories260k (skipped without the test data). */
class RealModelCommandsTest {

    /** Greedy continuation of "Once upon a time" documented for the checkpoint (llama2.c, transformers). */
    private static final String CONTINUATION =
            ", there was a little girl named Lily. She loved to play outside in the park. One day,";

    private static Path stories260k() {
        return Stories260k.directory();
    }

    @Test
    void generatePrintsOnlyTheGreedyContinuation() {
        CommandRunner.Result result = CommandRunner.run(
                "generate",
                "--model",
                stories260k().toString(),
                "--prompt",
                "Once upon a time",
                "--max-new-tokens",
                "30",
                "--engine",
                "pytorch");
        assertEquals(0, result.status(), result.err());
        assertEquals(CONTINUATION + System.lineSeparator(), result.out());
    }

    @Test
    void samplingWithASeedRepeatsAndDiffersFromGreedy() {
        String[] args = {
            "generate",
            "--model",
            stories260k().toString(),
            "--prompt",
            "Once upon a time",
            "--max-new-tokens",
            "20",
            "--temperature",
            "1.5",
            "--top-k",
            "50",
            "--top-p",
            "0.95",
            "--seed",
            "7"
        };
        CommandRunner.Result first = CommandRunner.run(args);
        CommandRunner.Result second = CommandRunner.run(args);
        assertEquals(0, first.status(), first.err());
        assertEquals(first.out(), second.out());
        assertTrue(!CONTINUATION.startsWith(first.out().strip()), "sampling at temperature 1.5 left the greedy path");
    }

    @Test
    void perplexityJsonOfAParagraph(@TempDir Path dir) throws IOException {
        CommandRunner.Result text = CommandRunner.run(
                "perplexity",
                "--model",
                stories260k().toString(),
                "--text",
                "Once upon a time, there was a little girl named Lily.",
                "--json");
        assertEquals(0, text.status(), text.err());
        JsonObject score = JsonParser.parseString(text.out()).getAsJsonObject();
        assertTrue(
                score.get("meanNll").getAsDouble() > 0 && score.get("meanNll").getAsDouble() < 3, text.out());
        assertEquals(
                Math.exp(score.get("meanNll").getAsDouble()),
                score.get("perplexity").getAsDouble(),
                1e-9);

        Path data = Files.writeString(
                dir.resolve("data.jsonl"), "{\"text\": \"Once upon a time, there was a little girl named Lily.\"}\n\n");
        CommandRunner.Result file = CommandRunner.run(
                "perplexity", "--model", stories260k().toString(), "--data", data.toString(), "--json");
        assertEquals(0, file.status(), file.err());
        assertEquals(score, JsonParser.parseString(file.out()).getAsJsonObject());
    }

    @Test
    void badDataLineNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path data = Files.writeString(dir.resolve("data.jsonl"), "{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n");
        CommandRunner.Result result =
                CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertEquals(1, result.status());
        assertTrue(result.err().contains(data + ":2: expected a \"text\" key, found keys [txt]"), result.err());

        Files.writeString(data, "{\"text\": 3}\n");
        result = CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertTrue(result.err().contains(data + ":1: expected \"text\" to be a string, found 3"), result.err());

        Files.write(data, new byte[] {'{', '"', 't', (byte) 0xff, '"', '}', '\n'});
        result = CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertTrue(result.err().contains(data + " is not valid UTF-8 text"), result.err());

        Files.writeString(data, "not json\n");
        result = CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertEquals(1, result.status());
        assertTrue(
                result.err()
                        .contains(data + ":1 is malformed JSON: syntax error at line 1, column 1; expected one JSON"
                                + " object per line, {\"text\": \"...\"}"),
                result.err());
        assertTrue(!result.err().contains("gson"), "no parser internals: " + result.err());

        Files.writeString(data, "{\"text\": \"a\", \"text\": \"b\"}\n");
        result = CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertTrue(
                result.err().contains(data + ":1 is malformed JSON: the key \"text\" appears twice in one object"),
                result.err());
    }

    @Test
    void generateRefusesTwiceTheSameAdapterAndLengthsPastTheModelsPositions() {
        CommandRunner.Result twice = CommandRunner.run(
                "generate",
                "--model",
                stories260k().toString(),
                "--adapter",
                stories260k().toString(),
                "--adapter",
                stories260k() + "/.",
                "--prompt",
                "Once");
        assertEquals(1, twice.status());
        assertTrue(twice.err().contains("is given twice; each adapter applies once"), twice.err());
        CommandRunner.Result tooLong = CommandRunner.run(
                "generate",
                "--model",
                stories260k().toString(),
                "--prompt",
                "Once upon a time",
                "--max-new-tokens",
                "600");
        assertEquals(1, tooLong.status());
        assertTrue(
                tooLong.err()
                        .contains("exceed the model's 512 positions (max_position_embeddings): give "
                                + "--max-new-tokens 507 or less"),
                tooLong.err());
        CommandRunner.Result badFlag =
                CommandRunner.run("generate", "--model", stories260k().toString(), "--prompt", "Once", "--top-p", "2");
        assertEquals(2, badFlag.status());
        assertTrue(badFlag.err().contains("--top-p must be in (0, 1]"), badFlag.err());
    }

    @Test
    void chatNeedsAChatTemplate() {
        CommandRunner.Result result =
                CommandRunner.run("generate", "--model", stories260k().toString(), "--prompt", "Hi", "--chat");
        assertEquals(1, result.status());
        assertTrue(result.err().contains("has no chat_template"), result.err());
    }
}
