package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlDataErrorsTest {

    private static final String GOOD = "{\"text\": \"Once upon a time\"}";

    @TempDir
    Path dir;

    private Tokenizer stories;

    @BeforeEach
    void load() {
        stories = TestModels.tokenizer(TestModels.STORIES_260K);
    }

    @AfterEach
    void close() {
        stories.close();
    }

    private Path write(String... lines) throws IOException {
        return Files.writeString(dir.resolve("data.jsonl"), String.join("\n", lines) + "\n");
    }

    /** Reads the line after a good one, expecting a failure at line 2, and returns its message. */
    private String secondLineFails(String line) throws IOException {
        return failsAt(stories, 2, GOOD, line);
    }

    private String failsAt(Tokenizer tokenizer, int lineNumber, String... lines) throws IOException {
        Path file = write(lines);
        PeftException error = assertThrows(PeftException.class, () -> JsonlData.read(file, tokenizer, 64));
        assertContains(file + ":" + lineNumber + ": ", error.getMessage());
        return error.getMessage();
    }

    private static void assertContains(String part, String message) {
        assertTrue(message.contains(part), () -> "'" + message + "' lacks '" + part + "'");
    }

    private static void assertListsShapes(String message) {
        assertContains("{\"text\": \"...\"}", message);
        assertContains("{\"prompt\": \"...\", \"completion\": \"...\"}", message);
        assertContains("{\"messages\": [{\"role\": \"...\", \"content\": \"...\"}, ...]}", message);
    }

    @Test
    void theWrongTypeNamesFileLineKeyExpectedAndFound() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add(GOOD);
        }
        lines.add("");
        lines.add("{\"prompt\": \"Hi\", \"completion\": 3}");
        String message = failsAt(stories, 7, lines.toArray(String[]::new));
        assertTrue(message.endsWith("data.jsonl:7: expected \"completion\" to be a string, found 3"), message);
        assertContains("expected \"text\" to be a string, found null", secondLineFails("{\"text\": null}"));
        assertContains(
                "expected \"prompt\" to be a string, found [\"a\"]",
                secondLineFails("{\"prompt\": [\"a\"], \"completion\": \"b\"}"));
        assertContains("expected \"text\" to be a string, found {\"a\":1}", secondLineFails("{\"text\": {\"a\": 1}}"));
        assertContains("expected \"text\" to be a string, found true", secondLineFails("{\"text\": true}"));
    }

    @Test
    void notJson() throws IOException {
        assertContains("not valid JSON", secondLineFails("{\"text\": \"unclosed\""));
        assertContains("not valid JSON", secondLineFails("{text: \"unquoted key\"}"));
        assertContains("not valid JSON", secondLineFails("{'text': 'single quotes'}"));
        assertContains(
                "not valid JSON: more text follows the first JSON value",
                secondLineFails("{\"text\": \"a\"} {\"text\": \"b\"}"));
        assertContains("not valid JSON", secondLineFails("{\"text\": \"a\"},"));
        assertContains("not valid JSON", secondLineFails("text: hello"));
    }

    @Test
    void aRepeatedKeyIsNotValidJson() throws IOException {
        assertContains(
                "not valid JSON: the key \"completion\" appears twice in one object ($.completion)",
                secondLineFails("{\"prompt\": \"a\", \"completion\": \"b\", \"completion\": \"c\"}"));
    }

    @Test
    void notAnObject() throws IOException {
        String array = secondLineFails("[\"text\", \"hello\"]");
        assertContains("expected a JSON object", array);
        assertContains("found [\"text\",\"hello\"]", array);
        assertListsShapes(array);
        assertContains("found \"hello\"", secondLineFails("\"hello\""));
        assertContains("found 42", secondLineFails("42"));
        assertContains("found null", secondLineFails("null"));
    }

    @Test
    void noneOfTheShapesListsTheAcceptedOnes() throws IOException {
        String message = secondLineFails("{\"input\": \"a\", \"output\": \"b\"}");
        assertListsShapes(message);
        assertContains("[input, output]", message);
        assertListsShapes(secondLineFails("{}"));
    }

    @Test
    void moreThanOneShapeIsRefused() throws IOException {
        String message = secondLineFails("{\"text\": \"a\", \"prompt\": \"b\", \"completion\": \"c\"}");
        assertContains("more than one shape", message);
        assertContains("\"text\", \"prompt\", \"completion\"", message);
        assertContains("more than one shape", secondLineFails("{\"text\": \"a\", \"messages\": []}"));
    }

    @Test
    void promptAndCompletionComeTogether() throws IOException {
        assertContains("has \"prompt\" but no \"completion\"", secondLineFails("{\"prompt\": \"a\"}"));
        assertContains("has \"completion\" but no \"prompt\"", secondLineFails("{\"completion\": \"a\"}"));
    }

    @Test
    void badMessages() throws IOException {
        try (Tokenizer smol = TestModels.tokenizer(TestModels.SMOLLM2)) {
            assertContains("expected \"messages\" to be an array", failsAt(smol, 1, "{\"messages\": \"hi\"}"));
            assertContains("found \"hi\"", failsAt(smol, 1, "{\"messages\": \"hi\"}"));
            assertContains("\"messages\" is empty", failsAt(smol, 1, "{\"messages\": []}"));
            assertContains(
                    "expected messages[1] to be an object",
                    failsAt(smol, 1, "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, \"b\"]}"));
            assertContains("messages[0] has no \"role\"", failsAt(smol, 1, "{\"messages\": [{\"content\": \"a\"}]}"));
            assertContains(
                    "messages[0] has no \"content\"", failsAt(smol, 1, "{\"messages\": [{\"role\": \"user\"}]}"));
            assertContains(
                    "expected the \"content\" of messages[0] to be a string, found 5",
                    failsAt(smol, 1, "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}"));
            assertContains(
                    "expected the \"role\" of messages[0] to be a string, found null",
                    failsAt(smol, 1, "{\"messages\": [{\"role\": null, \"content\": \"a\"}]}"));
            assertContains(
                    "messages[0] has a blank \"role\"",
                    failsAt(smol, 1, "{\"messages\": [{\"role\": \" \", \"content\": \"a\"}]}"));
        }
    }

    @Test
    void messagesNeedAChatTemplate() throws IOException {
        String message = secondLineFails(JsonlDataTest.messages("user", "Hi", "assistant", "Hello"));
        assertContains("needs a chat template", message);
        assertContains(stories.directory().toString(), message);
    }

    @Test
    void aTemplateThatIsNotIncrementalIsRefused() throws IOException {
        String counting = "{{ messages|length }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}";
        try (Tokenizer tokenizer =
                TestModels.storiesWithTemplate(Files.createDirectory(dir.resolve("counting")), counting)) {
            String message = failsAt(tokenizer, 1, JsonlDataTest.messages("user", "Hi", "assistant", "Hello"));
            assertContains("not incremental", message);
            assertContains("messages[0..1]", message);
            assertContains("\"1<user>Hi<assistant>\" versus \"2<user>Hi<assistant>Hello\"", message);
        }
        String otherHeader = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                + "{% if add_generation_prompt %}assistant:: {% endif %}";
        try (Tokenizer tokenizer =
                TestModels.storiesWithTemplate(Files.createDirectory(dir.resolve("header")), otherHeader)) {
            assertContains(
                    "not incremental",
                    failsAt(tokenizer, 1, JsonlDataTest.messages("user", "Hi", "assistant", "Hello")));
        }
    }

    @Test
    void smolLm2sDefaultSystemPromptMakesAnOpeningAssistantTurnNotIncremental() throws IOException {
        try (Tokenizer smol = TestModels.tokenizer(TestModels.SMOLLM2)) {
            String message = failsAt(smol, 1, JsonlDataTest.messages("assistant", "Hello", "user", "Hi"));
            assertContains("not incremental", message);
            assertContains("messages[0..0) with the generation prompt", message);
        }
    }

    @Test
    void aTemplateThatRaisesNamesTheLine() throws IOException {
        String strict = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with the"
                + " user') }}{% endif %}{% for m in messages %}{{ m.content }}</s>{% endfor %}";
        try (Tokenizer tokenizer = TestModels.storiesWithTemplate(dir, strict)) {
            String message = failsAt(
                    tokenizer,
                    2,
                    JsonlDataTest.messages("user", "Hi", "assistant", "Hello"),
                    JsonlDataTest.messages("system", "Be brief", "assistant", "Hello"));
            assertContains("chat template fails", message);
            assertContains("Conversations must start with the user", message);
        }
    }

    @Test
    void anUnusableTemplateNamesTheLine() throws IOException {
        try (Tokenizer tokenizer = TestModels.storiesWithTemplate(dir, "{% for m in messages %}{{ m.content }}")) {
            assertContains(
                    "cannot use the chat template",
                    failsAt(tokenizer, 1, JsonlDataTest.messages("user", "Hi", "assistant", "Hello")));
        }
    }

    @Test
    void aLineWithoutTokensIsRefused() throws IOException {
        try (Tokenizer tokenizer = TestModels.wordLevel(dir)) {
            assertContains("gives no tokens", failsAt(tokenizer, 2, "{\"text\": \"a b\"}", "{\"text\": \"\"}"));
        }
    }

    @Test
    void aFileWithoutExamplesIsRefused() throws IOException {
        for (String text : new String[] {"", "\n", "  \n\t\n\n"}) {
            Path file = Files.writeString(dir.resolve("empty.jsonl"), text);
            PeftException error = assertThrows(PeftException.class, () -> JsonlData.read(file, stories, 64));
            assertContains(file + ": no examples", error.getMessage());
            assertListsShapes(error.getMessage());
        }
    }

    @Test
    void aFileWithoutTrainedTokensIsRefused() throws IOException {
        Path file = write(
                "{\"prompt\": \"Once upon a time\", \"completion\": \" there\"}",
                "{\"prompt\": \"Hi\", \"completion\": \" there\"}");
        PeftException error = assertThrows(PeftException.class, () -> JsonlData.read(file, stories, 3));
        assertContains(file + ": none of its 2 examples has a trained token", error.getMessage());
        assertContains("truncation to 3 tokens", error.getMessage());
        assertEquals(
                1,
                JsonlData.read(file, stories, 4).trainedTokens(),
                "with room for one more token, the" + " second completion starts");
        try (Tokenizer smol = TestModels.tokenizer(TestModels.SMOLLM2)) {
            Path chat = write(JsonlDataTest.messages("system", "Be brief", "user", "Hi"));
            assertContains(
                    chat + ": none of its 1 examples has a trained token",
                    assertThrows(PeftException.class, () -> JsonlData.read(chat, smol, 512))
                            .getMessage());
        }
    }

    @Test
    void aMissingOrUnreadableFileIsNamed() throws IOException {
        Path missing = dir.resolve("missing.jsonl");
        assertContains(
                missing + ": no such file",
                assertThrows(PeftException.class, () -> JsonlData.read(missing, stories, 64))
                        .getMessage());
        assertContains(
                dir + " is a directory",
                assertThrows(PeftException.class, () -> JsonlData.read(dir, stories, 64))
                        .getMessage());
        Path binary = dir.resolve("binary.jsonl");
        Files.writeString(binary, GOOD + "\n");
        Files.write(binary, new byte[] {'"', (byte) 0xff, (byte) 0xfe, '"', '\n'}, StandardOpenOption.APPEND);
        assertContains(
                binary + ":2: not UTF-8",
                assertThrows(PeftException.class, () -> JsonlData.read(binary, stories, 64))
                        .getMessage());
    }

    @Test
    void aMaxLengthBelowTwoIsAnApiError() throws IOException {
        Path file = write(GOOD);
        assertThrows(IllegalArgumentException.class, () -> JsonlData.read(file, stories, 1));
        assertThrows(IllegalArgumentException.class, () -> JsonlData.read(file, stories, 0));
        assertThrows(NullPointerException.class, () -> JsonlData.read(null, stories, 8));
        assertThrows(NullPointerException.class, () -> JsonlData.read(file, null, 8));
    }
}
