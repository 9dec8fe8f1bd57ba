package dev.peft4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    private static final String TEXT = "Once upon a time 12345 café";

    /**
     * A word-level tokenizer.json written by hand: hello = 1, world = 2, and the added special
     * tokens &lt;s&gt; = 3, &lt;/s&gt; = 4, &lt;pad&gt; = 5, &lt;eot&gt; = 6; no post-processor.
     */
    private static final String WORD_LEVEL = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 3, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true},
               {"id": 4, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true},
               {"id": 5, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true},
               {"id": 6, "content": "<eot>", "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2, "<s>": 3, "</s>": 4,
                       "<pad>": 5, "<eot>": 6}, "unk_token": "[UNK]"}}
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static void assertContains(String part, Exception error) {
        assertTrue(error.getMessage().contains(part), () -> "'" + error.getMessage() + "' lacks '" + part + "'");
    }

    @Test
    void stories260kEncodesAsTransformersDoes() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.STORIES_260K))) {
            long[] ids = tokenizer.encode(TEXT, true);
            assertArrayEquals(
                    new long[] {1, 403, 407, 261, 378, 410, 475, 479, 472, 484, 480, 280, 412, 431, 485}, ids);
            assertArrayEquals(
                    Arrays.copyOfRange(ids, 1, ids.length),
                    tokenizer.encode(TEXT, false),
                    "without special tokens, the BOS is not added");
            assertEquals(TEXT, tokenizer.decode(ids, true));
            assertEquals("<s> " + TEXT, tokenizer.decode(ids, false));
            assertEquals(OptionalLong.of(1), tokenizer.bosId());
            assertArrayEquals(new long[] {2}, tokenizer.eosIds());
            assertEquals(OptionalLong.empty(), tokenizer.padId(), "pad_token is null and config.json has none");
            assertEquals("<s>", tokenizer.bosToken());
            assertEquals("</s>", tokenizer.eosToken());
            assertEquals(OptionalLong.of(2), tokenizer.tokenId("</s>"));
            assertTrue(tokenizer.chatTemplate().isEmpty());
        }
    }

    @Test
    void smolLm2EncodesAsTransformersDoes() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.SMOLLM2))) {
            long[] once = {6403, 1980, 253, 655, 216, 33, 34, 35, 36, 37, 37366};
            long[] hello = {19556, 905, 17, 216, 33, 34, 35, 36, 37, 378, 2365, 6354, 16438, 30};
            assertArrayEquals(once, tokenizer.encode(TEXT, true));
            assertArrayEquals(once, tokenizer.encode(TEXT, false), "its post-processor adds nothing");
            String sentence = "Hello world! 12345 The quick brown fox.";
            assertArrayEquals(hello, tokenizer.encode(sentence, true));
            assertEquals(TEXT, tokenizer.decode(once, true));
            assertEquals(sentence, tokenizer.decode(hello, false));
            assertEquals(OptionalLong.of(1), tokenizer.bosId());
            assertArrayEquals(new long[] {2}, tokenizer.eosIds());
            assertEquals(OptionalLong.of(2), tokenizer.padId());
            assertEquals("<|im_start|>", tokenizer.bosToken());
            assertEquals("<|im_end|>", tokenizer.eosToken());
            assertEquals(OptionalLong.of(2), tokenizer.tokenId("<|im_end|>"));
            assertTrue(tokenizer.chatTemplate().isPresent());
        }
    }

    @Test
    void specialTokensInTheTextAreRecognized() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.SMOLLM2))) {
            long[] ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n", false);
            assertEquals(1, ids[0]);
            assertEquals(2, ids[ids.length - 2]);
            assertEquals("user\nHi\n", tokenizer.decode(ids, true));
        }
    }

    @Test
    void longTextIsNeitherTruncatedNorPadded() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.STORIES_260K))) {
            String text = "Once upon a time ".repeat(400);
            long[] ids = tokenizer.encode(text, true);
            assertTrue(ids.length > 1000, "model_max_length is 512, yet " + ids.length + " ids");
            assertTrue(text.equals(tokenizer.decode(ids, true)), "decodes back to the text");
            assertEquals(2, tokenizer.encode("Once", true).length, "BOS and one token, no padding");
        }
    }

    @Test
    void specialIdsComeFromAllTheFiles() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        write("tokenizer_config.json", """
                {"bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false, "__type": "AddedToken"},
                 "pad_token": "<pad>", "unk_token": null}
                """);
        write("config.json", "{\"eos_token_id\": [4, 6], \"pad_token_id\": null}");
        write("generation_config.json", "{\"eos_token_id\": 6}");
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertArrayEquals(new long[] {1, 0, 2}, tokenizer.encode("hello nope world", true));
            assertEquals("hello world", tokenizer.decode(new long[] {3, 1, 2, 4}, true));
            assertArrayEquals(new long[] {6, 4}, tokenizer.eosIds(), "generation_config, config, then eos_token");
            assertEquals(OptionalLong.of(3), tokenizer.bosId(), "from bos_token's text");
            assertEquals(OptionalLong.of(5), tokenizer.padId(), "from pad_token's text");
            assertEquals("</s>", tokenizer.eosToken());
            assertEquals(OptionalLong.empty(), tokenizer.tokenId("hello world"));
            assertTrue(tokenizer.chatTemplate().isEmpty());
        }
    }

    @Test
    void withoutConfigFilesThereAreNoSpecialIds() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertEquals(OptionalLong.empty(), tokenizer.bosId());
            assertArrayEquals(new long[0], tokenizer.eosIds());
            assertEquals(OptionalLong.empty(), tokenizer.padId());
            assertNull(tokenizer.bosToken());
            assertNull(tokenizer.eosToken());
        }
    }

    @Test
    void theDefaultOfNamedChatTemplatesIsTaken() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        write("tokenizer_config.json", """
                {"eos_token": "</s>", "chat_template": [
                  {"name": "tool_use", "template": "tools"},
                  {"name": "default", "template": "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}]}
                """);
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertEquals(
                    "hi</s>", tokenizer.chatTemplate().orElseThrow().render(List.of(ChatMessage.user("hi")), false));
        }
    }

    @Test
    void namedChatTemplatesWithoutADefaultFailWhenAskedFor() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}");
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertArrayEquals(new long[] {1}, tokenizer.encode("hello", true), "the tokenizer itself works");
            PeftException error = assertThrows(PeftException.class, tokenizer::chatTemplate);
            assertContains("tokenizer_config.json", error);
            assertContains("[rag]", error);
            assertContains("\"default\"", error);
        }
    }

    @Test
    void aChatTemplateFileTakesPrecedence() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        write("tokenizer_config.json", "{\"chat_template\": \"from the config\"}");
        write("chat_template.json", "{\"chat_template\": \"from chat_template.json\"}");
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertEquals(
                    "from chat_template.json",
                    tokenizer.chatTemplate().orElseThrow().render(List.of(), false));
        }
        write("chat_template.jinja", "from chat_template.jinja\n");
        try (Tokenizer tokenizer = Tokenizer.load(dir)) {
            assertEquals(
                    "from chat_template.jinja",
                    tokenizer.chatTemplate().orElseThrow().render(List.of(), false));
        }
    }

    @Test
    void aMissingTokenizerJsonIsNamed() {
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(dir.toString(), error);
        assertContains("tokenizer.json", error);
        PeftException notADirectory = assertThrows(PeftException.class, () -> Tokenizer.load(dir.resolve("absent")));
        assertContains("absent", notADirectory);
    }

    @Test
    void aTokenizerJsonThatIsNotJsonIsNamed() throws IOException {
        Path file = write("tokenizer.json", "{not json");
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file.toString(), error);
        assertTrue(error.getCause() != null, "keeps the tokenizers library's error");
    }

    @Test
    void aTokenizerJsonThatTokenizersRejectsIsNamed() throws IOException {
        Path file = write("tokenizer.json", "{\"version\": \"1.0\", \"model\": {\"type\": \"NoSuchModel\"}}");
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file.toString(), error);
    }

    @Test
    void aMalformedTokenizerConfigIsNamed() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        Path file = write("tokenizer_config.json", "{\"eos_token\": \"</s>\",");
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file.toString(), error);
        write("tokenizer_config.json", "{\"eos_token\": 7}");
        PeftException wrongType = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file.toString(), wrongType);
        assertContains("eos_token", wrongType);
    }

    @Test
    void aRepeatedKeyInATokenizerFileIsNamed() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        Path file = write("tokenizer_config.json", "{\"eos_token\": \"</s>\", \"eos_token\": \"<eos>\"}");
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file + " is malformed JSON: the key \"eos_token\" appears twice in one object", error);
    }

    @Test
    void aBadTokenIdInConfigIsNamed() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        Path file = write("config.json", "{\"eos_token_id\": [2, \"x\"]}");
        PeftException error = assertThrows(PeftException.class, () -> Tokenizer.load(dir));
        assertContains(file.toString(), error);
        assertContains("eos_token_id", error);
    }

    @Test
    void aClosedTokenizerRefusesWork() throws IOException {
        write("tokenizer.json", WORD_LEVEL);
        Tokenizer tokenizer = Tokenizer.load(dir);
        tokenizer.close();
        tokenizer.close();
        assertThrows(IllegalStateException.class, () -> tokenizer.encode("hello", true));
        assertFalse(tokenizer.toString().isEmpty());
    }
}
