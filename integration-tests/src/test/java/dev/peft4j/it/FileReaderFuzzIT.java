package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.io.AdapterFileMethod;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.PeftConfigFile;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes the readers of PEFT adapter files with jqwik: {@link SafetensorsFile#open} (header length,
 * JSON header, tensor table, then every tensor's bytes) and {@link PeftConfigFile#read} (then the
 * configuration a loader derives from it), on random bytes and on valid files damaged in many ways.
 * A reader may accept a file or throw {@link PeftException}; any other exception or error (an
 * {@code OutOfMemoryError} from a huge declared length), or an input that takes more than {@value
 * #MAX_MILLIS} ms, fails the property.
 *
 * <p>Each property runs {@code jqwik.tries.default} inputs, which the build sets from {@code
 * -Dpeft4j.fuzz.tries} (a few hundred in CI); the counts and times are printed after the run.
 */
class FileReaderFuzzIT {

    private static final long MAX_MILLIS = 2_000;
    private static final int HUGE_DIGITS = 1_000_000;
    private static final int LONG_REGEX = 500_000;

    private static final LongAdder SAFETENSORS_INPUTS = new LongAdder();
    private static final LongAdder SAFETENSORS_ACCEPTED = new LongAdder();
    private static final LongAdder SAFETENSORS_NANOS = new LongAdder();
    private static final LongAdder CONFIG_INPUTS = new LongAdder();
    private static final LongAdder CONFIG_ACCEPTED = new LongAdder();
    private static final LongAdder CONFIG_NANOS = new LongAdder();

    private static Path work;
    private static FuzzedConfigs configs;

    @BeforeContainer
    static void createWorkDirectory() throws IOException {
        work = Files.createTempDirectory("peft4j-fuzz");
        configs = new FuzzedConfigs(work);
    }

    @AfterContainer
    static void reportAndCleanUp() throws IOException {
        print("SafetensorsFile.open", SAFETENSORS_INPUTS, SAFETENSORS_ACCEPTED, SAFETENSORS_NANOS);
        print("PeftConfigFile.read", CONFIG_INPUTS, CONFIG_ACCEPTED, CONFIG_NANOS);
        try (Stream<Path> files = Files.walk(work)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }

    private static void print(String reader, LongAdder inputs, LongAdder accepted, LongAdder nanos) {
        System.out.printf(
                "fuzz: %s: %,d inputs in %.1f s (%,d accepted, %,d rejected with PeftException)%n",
                reader, inputs.sum(), nanos.sum() / 1e9, accepted.sum(), inputs.sum() - accepted.sum());
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void safetensorsFromRandomBytes(@ForAll @Size(max = 64) byte[] bytes) {
        fuzz(
                bytes,
                "random.safetensors",
                FileReaderFuzzIT::readSafetensors,
                SAFETENSORS_INPUTS,
                SAFETENSORS_ACCEPTED,
                SAFETENSORS_NANOS);
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void safetensorsFromDamagedFiles(@ForAll long seed) {
        fuzz(
                FuzzedSafetensors.of(seed),
                "damaged.safetensors",
                FileReaderFuzzIT::readSafetensors,
                SAFETENSORS_INPUTS,
                SAFETENSORS_ACCEPTED,
                SAFETENSORS_NANOS);
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void adapterConfigsFromDamagedFiles(@ForAll long seed) {
        fuzz(
                configs.of(seed),
                "adapter_config.json",
                FileReaderFuzzIT::readConfig,
                CONFIG_INPUTS,
                CONFIG_ACCEPTED,
                CONFIG_NANOS);
    }

    @Property(shrinking = ShrinkingMode.OFF)
    void aRepeatedKeyIsAlwaysRefused(@ForAll long seed) {
        assertRefusedForARepeatedKey(
                FuzzedSafetensors.withARepeatedKey(seed), "repeated.safetensors", FileReaderFuzzIT::readSafetensors);
        assertRefusedForARepeatedKey(configs.withARepeatedKey(seed), "repeated.json", FileReaderFuzzIT::readConfig);
    }

    private static void assertRefusedForARepeatedKey(byte[] bytes, String name, Consumer<Path> reader) {
        Path file = write(bytes, name);
        String message =
                assertThrows(PeftException.class, () -> reader.accept(file)).getMessage();
        assertTrue(message.contains("appears twice in one object"), message);
    }

    @Example
    void aHugeDeclaredHeaderLengthIsRefusedWithoutAllocating() {
        for (long length : new long[] {SafetensorsFile.MAX_HEADER_BYTES, Long.MAX_VALUE, -8}) {
            byte[] file = ByteBuffer.allocate(16)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(length)
                    .array();
            assertRejectedQuickly(file, "length.safetensors", FileReaderFuzzIT::readSafetensors);
        }
    }

    @Example
    void aMillionDigitNumberIsRefusedQuickly() {
        String header =
                "{\"t\":{\"dtype\":\"F32\",\"shape\":[" + "9".repeat(HUGE_DIGITS) + "],\"data_offsets\":[0,4]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        byte[] file = ByteBuffer.allocate(8 + json.length + 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length)
                .put(json)
                .array();
        assertRejectedQuickly(file, "digits.safetensors", FileReaderFuzzIT::readSafetensors);
        String config =
                "{\"peft_type\": \"LORA\", \"target_modules\": [\"q\"], \"r\": " + "9".repeat(HUGE_DIGITS) + "}";
        assertRejectedQuickly(config.getBytes(StandardCharsets.UTF_8), "digits.json", FileReaderFuzzIT::readConfig);
    }

    @Example
    void aLongLiteralTargetModulesRegexIsReadQuickly() {
        String config = "{\"peft_type\": \"LORA\", \"r\": 8, \"target_modules\": \"" + "q".repeat(LONG_REGEX) + "\"}";
        Path file = write(config.getBytes(StandardCharsets.UTF_8), "regex.json");
        long start = System.nanoTime();
        readConfig(file);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < MAX_MILLIS, "a " + LONG_REGEX + "-character regex took " + millis + " ms");
    }

    private static void assertRejectedQuickly(byte[] bytes, String name, Consumer<Path> reader) {
        Path file = write(bytes, name);
        long start = System.nanoTime();
        assertThrows(PeftException.class, () -> reader.accept(file));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < MAX_MILLIS, name + " took " + millis + " ms");
    }

    private static void fuzz(
            byte[] bytes, String name, Consumer<Path> reader, LongAdder inputs, LongAdder accepted, LongAdder nanos) {
        Path file = write(bytes, name);
        long start = System.nanoTime();
        try {
            reader.accept(file);
            accepted.increment();
        } catch (PeftException expected) {
            // The one exception a reader may throw.
        } finally {
            long elapsed = System.nanoTime() - start;
            inputs.increment();
            nanos.add(elapsed);
            assertTrue(
                    elapsed < MAX_MILLIS * 1_000_000,
                    name + " of " + bytes.length + " bytes took " + elapsed / 1_000_000 + " ms");
        }
    }

    private static Path write(byte[] bytes, String name) {
        try {
            return Files.write(work.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void readSafetensors(Path file) {
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            for (String name : weights.tensors().keySet()) {
                weights.readBytes(name);
                weights.readFloats(name);
            }
        }
    }

    /** Reads a configuration and derives what a loader needs from it. */
    private static void readConfig(Path file) {
        PeftAdapterConfig config = PeftConfigFile.read(file);
        config.targets();
        AdapterFileMethod.of(config, file.toString(), ItPlugins.registry())
                .config()
                .forModule("model.layers.0.self_attn.q_proj");
    }
}
