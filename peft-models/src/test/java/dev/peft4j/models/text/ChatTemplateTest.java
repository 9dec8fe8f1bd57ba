package dev.peft4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.spi.PeftException;
import java.time.Year;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chat templates render as transformers renders them: each expected text below is what Jinja2 3.1
 * gives with transformers' settings ({@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True)}, its {@code tojson} and {@code raise_exception}) for the same template and
 * {@link #CONVERSATION}, with {@code bos_token="<s>"} and {@code eos_token="</s>"}.
 */
class ChatTemplateTest {

    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("  Be brief.  "), ChatMessage.user("Hi, there you"), ChatMessage.assistant(" Hello! "));

    /** A Llama 2 chat template, as Meta's tokenizer_config.json had it. */
    private static final String LLAMA_2 =
            "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
                    + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
                    + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
                    + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                    + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                    + "{% if loop.index0 == 0 and system_message != false %}"
                    + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
                    + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
                    + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                    + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private static final String SMOLLM2_SYSTEM =
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n";

    private static String render(String template) {
        return ChatTemplate.of(template, "<s>", "</s>").render(CONVERSATION, false);
    }

    private static void assertContains(String part, Exception error) {
        assertTrue(error.getMessage().contains(part), () -> "'" + error.getMessage() + "' lacks '" + part + "'");
    }

    static Stream<Arguments> asJinja2Renders() {
        return Stream.of(
                Arguments.of(
                        "dash signs strip whitespace around tags",
                        "a\n  {%- if true -%}\n  b  \n  {%- endif -%}\n  c\n",
                        "abc"),
                Arguments.of(
                        "trim_blocks and lstrip_blocks", "a\n  {% if true %}\n  b\n  {% endif %}\nc\n", "a\n  b\nc"),
                Arguments.of(
                        "a loop's lines keep their indent",
                        "{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n",
                        "  system\n  user\n  assistant\n"),
                Arguments.of(
                        "dashes inside and outside expressions",
                        "{{ bos_token }}\n{%- for m in messages %}\n    {{- m.role -}}:\n    {{ m.conten"
                                + "t }}\n{% endfor -%}\n  end",
                        "<s>system:\n      Be brief.  \nuser:\n    Hi, there you\nassistant:\n     Hello" + "! \nend"),
                Arguments.of(
                        "expression dashes", "x {{ 'y' }}\n  z {{- ' w ' }}  \n{{ 'v' -}}\n\n  u", "x y\n  z w   \nvu"),
                Arguments.of(
                        "comments and their dashes",
                        "line1\n{#- comment -#}\nline2\n  {# c2 #}\nline3\n",
                        "line1line2\nline3"),
                Arguments.of("a plus keeps the indent", "a\n  {%+ if true %}b{% endif %}\n", "a\n  b"),
                Arguments.of("CRLF line ends become LF", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n", "a\nb\n"),
                Arguments.of(
                        "loop.last",
                        "{% for m in messages %}{{ m.role }}{% if not loop.last %}, {% endif %}{% endfor" + " %}",
                        "system, user, assistant"),
                Arguments.of(
                        "loop.index, loop.length, loop.first, loop.revindex0",
                        "{% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ '+' if loop.first }"
                                + "}{{ loop.revindex0 }};{% endfor %}",
                        "1/3+2;2/31;3/30;"),
                Arguments.of(
                        "namespace set in a loop",
                        "{% set ns = namespace(n=0) %}\n{% for m in messages %}\n  {% set ns.n = ns.n + "
                                + "1 %}\n{% endfor %}\n{{ ns.n }}{% if messages[0]['role'] == 'system' %}S{% endif"
                                + " %}\n",
                        "3S"),
                Arguments.of(
                        "namespace with strings",
                        "{%- set ns = namespace(system='', found=false) -%}\n{%- for m in messages -%}\n"
                                + "  {%- if m['role'] == 'system' -%}\n    {%- set ns.system = ns.system + m['cont"
                                + "ent'] -%}\n    {%- set ns.found = true -%}\n  {%- endif -%}\n{%- endfor -%}\n[{"
                                + "{ ns.system }}|{{ ns.found }}]",
                        "[  Be brief.  |True]"),
                Arguments.of(
                        "strip() and trim",
                        "{% for m in messages %}{{ m.content.strip() }}|{% endfor %}{{ messages[0]['cont"
                                + "ent'] | trim }}",
                        "Be brief.|Hi, there you|Hello!|Be brief."),
                Arguments.of(
                        "Python string methods and indexing",
                        "{% if messages[1].content.startswith('Hi') and messages[1].content.endswith('yo"
                                + "u') %}yes{% endif %}|{{ messages[1].content.split(',') }}|{{ messages[1].conten"
                                + "t.split() | length }}|{{ messages[1].content.upper() }}{{ messages[1].content.l"
                                + "ower() }}|{{ '  a  '.lstrip() }}|{{ '  a  '.rstrip() }}|{{ 'xxaxx'.strip('x') }"
                                + "}|{{ '-'.join(['a','b']) }}|{{ 'they are'.title() }}|{{ 'hELLO'.capitalize() }}"
                                + "|{{ 'a.b.c'.rsplit('.', 1)[0] }}|{{ 'aaa'.replace('a','b',2) }}|{{ 'abc'.starts"
                                + "with(('x','a')) }}|{{ 'abcb'.find('b') }}|{{ 'abcb'.count('b') }}|{{ 'a,b,,c'.s"
                                + "plit(',', 2) }}|{{ '  x y z '.rsplit(None, 1) }}|{{ 'l1\\nl2\\r\\nl3'.splitline"
                                + "s() }}|{{ messages[1].content[-3:] }}|{{ messages[1].content[0] }}{{ messages[1"
                                + "].content[-1] }}",
                        "yes|['Hi', ' there you']|3|HI, THERE YOUhi, there you|a  |  a|a|a-b|They Are|He"
                                + "llo|a.b|bba|True|1|2|['a', 'b', ',c']|['  x y', 'z']|['l1', 'l2', 'l3']|you|Hu"),
                Arguments.of(
                        "not binds looser than comparisons",
                        "{{ not 1 == 2 }}|{% if not messages[0]['role'] == 'system' %}A{% else %}B{% end"
                                + "if %}|{% if not messages|length > 5 %}C{% endif %}|{% if messages[0].role == 's"
                                + "ystem' and not messages[1].role == 'system' %}D{% endif %}|{{ 'a' not in 'abc' "
                                + "}}|{{ bos_token is not none }}|{{ 'y' if not messages else 'n' }}",
                        "True|B|C|D|False|True|n"),
                Arguments.of(
                        "loop filters",
                        "{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }}"
                                + " {{ m.role }}{% if not loop.last %}, {% endif %}{% endfor %}|{% for k, v in {'a"
                                + "': 1, 'b': 2, 'return': 3}.items() if k != 'return' %}{{ k }}{{ v }}{% endfor %"
                                + "}",
                        "1/2 user, 2/2 assistant|a1b2"),
                Arguments.of(
                        "slices with a step",
                        "{%- for message in messages[::-1] %}{{ loop.index0 }}{{ message.role[0] }}{% en"
                                + "dfor %}|{{ messages[1::2] | map(attribute='role') | list }}|{{ 'abcdef'[::2] }}"
                                + "|{{ 'abc'[::-1] }}|{{ messages[-2:][::-1][0].role }}",
                        "0a1u2s|['user']|ace|cba|assistant"),
                Arguments.of(
                        "Python string escapes",
                        "{{ 'a\\nb' }}|{{ 'a\\\\b' }}|{{ 'q\\'s' }}|{{ \"d\\\"q\" }}|{{ 'u\\u00e9' }}|{{"
                                + " 'x\\x41' }}|{{ 'z\\dz' }}|{{ 'b\\bf\\f' }}|{{ 'o\\101' }}|{{ '\\N{BULLET}' }}|"
                                + "{{ 'e\\U0001F600' }}|{{ 'line\\\ncont' }}|{{ \"it's\" }}|{{ 'say \"hi\"' }}",
                        "a\nb|a\\b|q's|d\"q|ué|xA|z\\dz|b\bf\f|oA|•|e😀|linecont|it's|say \"hi\""),
                Arguments.of(
                        "tojson as Python's json.dumps",
                        "{{ {'name': 'f', 'args': {'a': 1, 'b': [true, none, 'x\"y', 2.5]}} | tojson }}|"
                                + "{{ messages[0] | tojson(indent=2) }}|{{ [] | tojson }}|{{ {'b': 1, 'a': 'é'} | "
                                + "tojson(sort_keys=true) }}|{{ 'é' | tojson(ensure_ascii=true) }}",
                        "{\"name\": \"f\", \"args\": {\"a\": 1, \"b\": [true, null, \"x\\\"y\", 2.5]}}|{"
                                + "\n  \"role\": \"system\",\n  \"content\": \"  Be brief.  \"\n}|[]|{\"a\": \"é\""
                                + ", \"b\": 1}|\"\\u00e9\""),
                Arguments.of(
                        "default keeps the value's type",
                        "{% if x | default(false) %}Y{% else %}N{% endif %}|{{ (x | default(false)) is f"
                                + "alse }}|{{ x | default(0) + 1 }}|{{ x|default('a') }}|{{ '' | default('e', true"
                                + ") }}",
                        "N|True|1|a|e"),
                Arguments.of(
                        "raw blocks are copied",
                        "a\n  {% raw %}\n  {{ x }} {%- y %}{% endraw %}\n  {% if true %}z{% endif %}\n",
                        "a\n\n  {{ x }} {%- y %}z"),
                Arguments.of(
                        "the items filter",
                        "{% for k, v in {'a': 1, 'b': [2]} | items %}{{ k }}={{ v }};{% endfor %}",
                        "a=1;b=[2];"),
                Arguments.of(
                        "tests and printed booleans",
                        "{{ messages[0].content is iterable }}|{{ messages[0].content is sequence }}|{{ "
                                + "messages is iterable }}|{{ 1 is iterable }}|{{ raise_exception is defined }}|{{"
                                + " true }}|{{ 1 == 2 }}",
                        "True|True|True|False|True|True|False"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void asJinja2Renders(String what, String template, String expected) {
        assertEquals(expected, render(template));
    }

    @Test
    void smolLm2InsertsItsSystemPromptBeforeAUserMessage() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.SMOLLM2))) {
            ChatTemplate template = tokenizer.chatTemplate().orElseThrow();
            List<ChatMessage> hi = List.of(ChatMessage.user("Hi"));
            assertEquals(
                    SMOLLM2_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                    template.render(hi, true));
            assertEquals(SMOLLM2_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n", template.render(hi, false));
        }
    }

    @Test
    void smolLm2KeepsTheConversationsOwnSystemMessage() {
        try (Tokenizer tokenizer = Tokenizer.load(SharedModels.model(SharedModels.SMOLLM2))) {
            List<ChatMessage> conversation = List.of(
                    ChatMessage.system("You are terse."), ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"));
            String prompt = tokenizer.chatTemplate().orElseThrow().render(conversation, false);
            assertEquals(
                    "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                            + "<|im_start|>assistant\nHello!<|im_end|>\n",
                    prompt);
            long[] ids = tokenizer.encode(prompt, false);
            assertEquals(1, ids[0], "<|im_start|> is one token");
            assertEquals(prompt, tokenizer.decode(ids, false));
        }
    }

    @Test
    void aLlama2TemplateUsesBosAndEosTokens() {
        assertEquals(
                "<s>[INST] <<SYS>>\n  Be brief.  \n<</SYS>>\n\nHi, there you [/INST] Hello! </s>", render(LLAMA_2));
    }

    @Test
    void raiseExceptionThrowsThePeftExceptionWithTheTemplatesMessage() {
        ChatTemplate template = ChatTemplate.of(LLAMA_2, "<s>", "</s>");
        PeftException error = assertThrows(
                PeftException.class,
                () -> template.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertEquals(
                "The chat template raised an error: "
                        + "Conversation roles must alternate user/assistant/user/assistant/...",
                error.getMessage());
    }

    @Test
    void messageTextIsNeverInterpreted() {
        String text = "{{ 1 + 1 }} {% if true %}x{% endif %} {# c #} \u000b";
        assertEquals(
                text,
                ChatTemplate.of("{{ messages[0].content }}", null, null)
                        .render(List.of(ChatMessage.user(text)), false));
    }

    @Test
    void undefinedSpecialTokensPrintNothing() {
        assertEquals("[]", ChatTemplate.of("[{{ bos_token }}]", null, null).render(List.of(), false));
    }

    @Test
    void extraVariablesReachTheTemplate() {
        ChatTemplate template = ChatTemplate.of(
                "{% if tools %}{{ tools | tojson }}{% endif %}"
                        + "{{ 'T' if enable_thinking is false }}{{ bos_token }}",
                "<s>", null);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("name", "get_weather");
        tool.put("required", List.of("city"));
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("tools", List.of(tool));
        variables.put("enable_thinking", false);
        variables.put("bos_token", "<BOS>");
        assertEquals(
                "[{\"name\": \"get_weather\", \"required\": [\"city\"]}]T<BOS>",
                template.render(List.of(), false, variables));
        assertEquals("<s>", template.render(List.of(), false));
        assertThrows(
                IllegalArgumentException.class, () -> template.render(List.of(), false, Map.of("messages", List.of())));
    }

    @Test
    void theGenerationTagRendersItsBody() {
        assertEquals(
                "<s>Hello!</s>",
                ChatTemplate.of(
                                "{% for m in messages %}{% if m.role == 'assistant' %}{{ bos_token }}{% generation %}"
                                        + "{{ m.content.strip() }}{% endgeneration %}{{ eos_token }}{% endif %}{% endfor %}",
                                "<s>", "</s>")
                        .render(CONVERSATION, false));
    }

    @Test
    void strftimeNowFormatsTheCurrentTime() {
        String year = ChatTemplate.of("{% if strftime_now is defined %}{{ strftime_now('%Y') }}{% endif %}", null, null)
                .render(List.of(), false);
        assertTrue(
                year.equals(Year.now().toString())
                        || year.equals(Year.now().minusYears(1).toString()),
                year);
    }

    @Test
    void rendersConcurrently() throws Exception {
        ChatTemplate template = ChatTemplate.of(LLAMA_2, "<s>", "</s>");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> prompts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                String question = "question " + i;
                prompts.add(pool.submit(() -> template.render(List.of(ChatMessage.user(question)), true)));
            }
            for (int i = 0; i < prompts.size(); i++) {
                assertEquals(
                        "<s>[INST] question " + i + " [/INST]", prompts.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void forElseIsRefused() {
        PeftException error = assertThrows(
                PeftException.class,
                () -> ChatTemplate.of("{% for m in messages %}{{ m.role }}{% else %}none{% endfor %}", null, null));
        assertContains("{% else %}", error);
    }

    @Test
    void unknownTagsFiltersAndTestsAreRefused() {
        assertContains(
                "nosuchtag", assertThrows(PeftException.class, () -> ChatTemplate.of("{% nosuchtag %}", null, null)));
        assertContains(
                "filter nosuchfilter",
                assertThrows(PeftException.class, () -> ChatTemplate.of("{{ messages | nosuchfilter }}", null, null)));
        assertContains(
                "test nosuchtest",
                assertThrows(
                        PeftException.class,
                        () -> ChatTemplate.of("{% if messages is not nosuchtest %}{% endif %}", null, null)));
    }

    @Test
    void syntaxErrorsAreRefused() {
        assertContains("endif", assertThrows(PeftException.class, () -> ChatTemplate.of("{% if true %}x", null, null)));
        assertContains(
                "line 2", assertThrows(PeftException.class, () -> ChatTemplate.of("a\n{{ messages", null, null)));
        assertContains("\\x", assertThrows(PeftException.class, () -> ChatTemplate.of("{{ 'bad \\x4' }}", null, null)));
    }

    @Test
    void renderFailuresNameTheCause() {
        PeftException unknown = assertThrows(PeftException.class, () -> render("{{ nosuchfunction(1) }}"));
        assertContains("Cannot render the chat template", unknown);
        assertContains("nosuchfunction", unknown);
        PeftException misuse =
                assertThrows(PeftException.class, () -> render("{{ messages[0].content.startswith(1) }}"));
        assertContains("str.startswith()", misuse);
    }

    @Test
    void messagesAreValidated() {
        assertThrows(NullPointerException.class, () -> new ChatMessage(null, "x"));
        assertThrows(NullPointerException.class, () -> new ChatMessage("user", null));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(" ", "x"));
        assertEquals(new ChatMessage("user", ""), ChatMessage.user(""));
    }
}
