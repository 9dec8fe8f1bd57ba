package dev.peft4j.bench.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.bench.BenchMethod;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.Plugins;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs every benchmark of the JMH suite through JMH's lifecycle (trial, iteration and invocation
 * fixtures around two invocations) at a tiny size, for every method it lists and every engine,
 * so that each benchmark's setup and self-checks work without running JMH.
 */
class BenchmarkLifecycleTest {

    private static final List<Class<? extends LayerState>> BENCHMARKS = List.of(
            ForwardBenchmark.class,
            TrainStepBenchmark.class,
            MergeBenchmark.class,
            SaveBenchmark.class,
            LoadBenchmark.class);
    private static final String BLACKHOLE_PASSWORD =
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.";

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (EngineBinding engine : Plugins.defaults().engines()) {
            for (Class<? extends LayerState> benchmark : BENCHMARKS) {
                for (String method : methodParameter(benchmark)) {
                    cases.add(Arguments.of(benchmark.getSimpleName(), engine.name(), method));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void runsThroughItsLifecycle(String benchmark, String engine, String method) throws Exception {
        Class<? extends LayerState> type = BENCHMARKS.stream()
                .filter(c -> c.getSimpleName().equals(benchmark))
                .findFirst()
                .orElseThrow();
        LayerState state = type.getConstructor().newInstance();
        state.engine = engine;
        state.features = 32;
        state.rank = 4;
        state.tokens = 2;
        type.getField("method").set(state, method);
        Blackhole blackhole = new Blackhole(BLACKHOLE_PASSWORD);
        try {
            fixtures(state, Setup.class, Level.Trial);
            fixtures(state, Setup.class, Level.Iteration);
            for (int i = 0; i < 2; i++) {
                fixtures(state, Setup.class, Level.Invocation);
                for (Method run : annotated(type, m -> m.isAnnotationPresent(Benchmark.class))) {
                    run.invoke(state, blackhole);
                }
                fixtures(state, TearDown.class, Level.Invocation);
            }
            fixtures(state, TearDown.class, Level.Iteration);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            fixtures(state, TearDown.class, Level.Trial);
        }
    }

    @Test
    void theMethodParametersCoverTheRegistry() {
        List<BenchMethod> all = BenchMethod.all(Plugins.defaults());
        assertNames(all, ForwardBenchmark.class);
        assertNames(all.stream().filter(BenchMethod::isTrainable).toList(), TrainStepBenchmark.class);
        List<BenchMethod> adapters = all.stream()
                .filter(BenchMethod::isAdapter)
                .filter(m -> m != BenchMethod.DORA_CACHED)
                .toList();
        assertNames(adapters, MergeBenchmark.class);
        assertNames(adapters, SaveBenchmark.class);
        assertNames(adapters, LoadBenchmark.class);
    }

    private static void assertNames(List<BenchMethod> expected, Class<?> benchmark) {
        assertEquals(
                expected.stream().map(BenchMethod::name).sorted().toList(),
                methodParameter(benchmark).stream().sorted().toList(),
                benchmark.getSimpleName() + "'s method parameter");
    }

    private static List<String> methodParameter(Class<?> benchmark) {
        try {
            return Arrays.asList(
                    benchmark.getField("method").getAnnotation(Param.class).value());
        } catch (NoSuchFieldException e) {
            throw new AssertionError(benchmark + " has no method parameter", e);
        }
    }

    private static void fixtures(Object state, Class<?> kind, Level level) throws Exception {
        Predicate<Method> atLevel = m -> kind == Setup.class
                ? m.isAnnotationPresent(Setup.class)
                        && m.getAnnotation(Setup.class).value() == level
                : m.isAnnotationPresent(TearDown.class)
                        && m.getAnnotation(TearDown.class).value() == level;
        for (Method fixture : annotated(state.getClass(), atLevel)) {
            fixture.invoke(state);
        }
    }

    /** Public methods, superclass first as JMH calls them, in a stable order. */
    private static List<Method> annotated(Class<?> type, Predicate<Method> filter) {
        List<Method> methods = new ArrayList<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            List<Method> own = Arrays.stream(c.getDeclaredMethods())
                    .filter(filter)
                    .sorted(Comparator.comparing(Method::getName))
                    .toList();
            methods.addAll(0, own);
        }
        return methods;
    }
}
