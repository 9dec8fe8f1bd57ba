package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j generate} and {@code peft4j perplexity} on the real stories260k (skipped without shared/models). */
class RealModelCommandsTest {

    /** Greedy continuation of "Once upon a time" documented for the checkpoint (llama2.c, transformers). */
    private static final String CONTINUATION =
            ", there was a little girl named Lily. She loved to play outside in the park. One day,";

    private static Path stories260k() {
        return Stories260k.directory();
    }

    @Test
    void generatePrintsOnlyTheGreedyContinuation() {
        CommandRunner.Result result = CommandRunner.run("generate", "--model", stories260k().toString(),
                "--prompt", "Once upon a time", "--max-new-tokens", "30", "--engine", "pytorch");
        assertEquals(0, result.status(), result.err());
        assertEquals(CONTINUATION + System.lineSeparator(), result.out());
    }

    @Test
    void samplingWithASeedRepeatsAndDiffersFromGreedy() {
        String[] args = {"generate", "--model", stories260k().toString(), "--prompt", "Once upon a time",
            "--max-new-tokens", "20", "--temperature", "1.5", "--top-k", "50", "--top-p", "0.95", "--seed", "7"};
        CommandRunner.Result first = CommandRunner.run(args);
        CommandRunner.Result second = CommandRunner.run(args);
        assertEquals(0, first.status(), first.err());
        assertEquals(first.out(), second.out());
        assertTrue(!CONTINUATION.startsWith(first.out().strip()), "sampling at temperature 1.5 left the greedy path");
    }

    @Test
    void perplexityJsonOfAParagraph(@TempDir Path dir) throws IOException {
        CommandRunner.Result text = CommandRunner.run("perplexity", "--model", stories260k().toString(),
                "--text", "Once upon a time, there was a little girl named Lily.", "--json");
        assertEquals(0, text.status(), text.err());
        JsonObject score = JsonParser.parseString(text.out()).getAsJsonObject();
        assertTrue(score.get("meanNll").getAsDouble() > 0 && score.get("meanNll").getAsDouble() < 3, text.out());
        assertEquals(Math.exp(score.get("meanNll").getAsDouble()), score.get("perplexity").getAsDouble(), 1e-9);

        Path data = Files.writeString(dir.resolve("data.jsonl"),
                "{\"text\": \"Once upon a time, there was a little girl named Lily.\"}\n\n");
        CommandRunner.Result file = CommandRunner.run("perplexity", "--model", stories260k().toString(),
                "--data", data.toString(), "--json");
        assertEquals(0, file.status(), file.err());
        assertEquals(score, JsonParser.parseString(file.out()).getAsJsonObject());
    }

    @Test
    void badDataLineNamesFileAndLine(@TempDir Path dir) throws IOException {
        Path data = Files.writeString(dir.resolve("data.jsonl"), "{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n");
        CommandRunner.Result result = CommandRunner.run("perplexity", "--model", stories260k().toString(),
                "--data", data.toString());
        assertEquals(1, result.status());
        assertTrue(result.err().contains(data + ":2: expected a \"text\" string"), result.err());

        Files.writeString(data, "not json\n");
        result = CommandRunner.run("perplexity", "--model", stories260k().toString(), "--data", data.toString());
        assertEquals(1, result.status());
        assertTrue(result.err().contains(data + ":1: not a JSON object"), result.err());
    }

    @Test
    void chatNeedsAChatTemplate() {
        CommandRunner.Result result = CommandRunner.run("generate", "--model", stories260k().toString(),
                "--prompt", "Hi", "--chat");
        assertEquals(1, result.status());
        assertTrue(result.err().contains("has no chat_template"), result.err());
    }
}
