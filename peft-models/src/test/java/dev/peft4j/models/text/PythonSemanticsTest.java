package dev.peft4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.spi.PeftException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The Python behaviour peft4j adds to Jinjava; each expected value is what CPython 3.11 returns. */
class PythonSemanticsTest {

    private static Arguments call(String name, String text, Object expected, Object... args) {
        return Arguments.of(name, text, args, expected);
    }

    static Stream<Arguments> stringMethodsActAsPythons() {
        Object noSeparator = null;
        return Stream.of(
                call("strip", "  \t a b \n", "a b"),
                call("strip", "xxaxx", "a", "x"),
                call("strip", "\u00a0a\u2003", "a"),
                call("lstrip", "..a..", "a..", "."),
                call("rstrip", "a \n", "a"),
                call("split", "  a  b  c  ", List.of("a", "b", "c")),
                call("split", "  a  b  c  ", List.of("a", "b  c  "), noSeparator, 1L),
                call("split", "a,b,,c", List.of("a", "b", "", "c"), ","),
                call("split", "a,b,,c", List.of("a", "b", ",c"), ",", 2L),
                call("split", "", List.of()),
                call("split", "", List.of(""), ","),
                call("split", "a<sep>b", List.of("a", "b"), "<sep>"),
                call("rsplit", "  a  b  c  ", List.of("  a  b", "c"), noSeparator, 1L),
                call("rsplit", "a,b,,c", List.of("a,b", "", "c"), ",", 2L),
                call("rsplit", "a.b.c", List.of("a.b.c"), ".", 0L),
                call("splitlines", "a\nb\r\nc\rd\n", List.of("a", "b", "c", "d")),
                call("splitlines", "a\nb\n", List.of("a\n", "b\n"), true),
                call("title", "they're bill's friends 3rd", "They'Re Bill'S Friends 3Rd"),
                call("capitalize", "hELLO World", "Hello world"),
                call("upper", "straße", "STRASSE"),
                call("lower", "ÀB", "àb"),
                call("replace", "aaaa", "bbaa", "a", "b", 2L),
                call("replace", "ab", "-a-b-", "", "-"),
                call("replace", "ab", "-a-b", "", "-", 2L),
                call("replace", "a.b", "ab", ".", ""),
                call("startswith", "<think>x", true, "<think>"),
                call("startswith", "abc", true, List.of("x", "ab")),
                call("endswith", "abc", true, "bc"),
                call("find", "héllo", 2L, "l"),
                call("find", "abc", -1L, "z"),
                call("rfind", "abcb", 3L, "b"),
                call("count", "aaaa", 2L, "aa"),
                call("count", "abc", 4L, ""),
                call("join", ", ", "a, b, c", List.of("a", "b", "c")),
                call("isspace", " \t", true),
                call("isspace", "", false),
                call("isdigit", "123", true),
                call("isalpha", "ab1", false),
                call("isalnum", "ab1", true));
    }

    @ParameterizedTest(name = "{1}.{0}")
    @MethodSource
    void stringMethodsActAsPythons(String name, String text, Object[] args, Object expected) {
        assertEquals(expected, PythonStringMethods.call(text, name, args));
    }

    @Test
    void badArgumentsNameTheMethod() {
        PeftException error =
                assertThrows(PeftException.class, () -> PythonStringMethods.call("a", "split", new Object[] {""}));
        assertEquals("Chat template: str.split() was given an empty separator", error.getMessage());
        assertThrows(PeftException.class, () -> PythonStringMethods.call("a", "upper", new Object[] {1L}));
        assertThrows(PeftException.class, () -> PythonStringMethods.call("a", "join", new Object[] {List.of(1L)}));
    }

    @ParameterizedTest(name = "[{1}:{2}:{3}] of 5")
    @CsvSource(
            nullValues = "none",
            value = {
                "'0,1,2,3,4', none, none, 1",
                "'4,3,2,1,0', none, none, -1",
                "'4,2,0', none, none, -2",
                "'1,2', 1, 3, 1",
                "'3,2', -2, 1, -1",
                "'', 3, 1, 1",
                "'0,3', -10, 10, 3",
                "'4,3,2,1,0', 10, -10, -1"
            })
    void sliceIndicesActAsPythons(String expected, Integer start, Integer stop, int step) {
        List<Integer> wanted = expected.isEmpty()
                ? List.of()
                : Stream.of(expected.split(",")).map(Integer::valueOf).toList();
        assertEquals(wanted, PythonSlice.indices(5, start, stop, step));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "2.5, 2.5",
        "100.0, 100.0",
        "1e20, 1e+20",
        "1e16, 1e+16",
        "123456789012345.0, 123456789012345.0",
        "0.0001, 0.0001",
        "0.00001, 1e-05",
        "-1.5e-7, -1.5e-07",
        "0.1, 0.1"
    })
    void floatsPrintAsPythonsRepr(double value, String expected) {
        assertEquals(expected, PythonJson.floatRepr(value));
    }
}
