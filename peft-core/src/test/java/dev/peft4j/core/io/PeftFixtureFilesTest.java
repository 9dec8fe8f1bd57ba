package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.safetensors.SafetensorsWriter;
import dev.peft4j.testkit.PeftFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Files written by Hugging Face PEFT, copied by peft4j's writers: byte for byte the same (no adapter method involved). */
class PeftFixtureFilesTest {

    private static Path weights(String fixture) {
        return PeftFixtures.adapter(fixture).resolve(AdapterDirectory.WEIGHTS_FILE);
    }

    @ParameterizedTest
    @ValueSource(strings = {PeftFixtures.DISTILBERT, PeftFixtures.GPT2})
    void copyingTensorByTensorReproducesPythonsFileByteForByte(String fixture, @TempDir Path dir) throws IOException {
        Path copy = dir.resolve(AdapterDirectory.WEIGHTS_FILE);
        try (SafetensorsFile source = SafetensorsFile.open(weights(fixture));
                SafetensorsWriter writer = SafetensorsWriter.create(
                        copy, List.copyOf(source.tensors().values()), Map.of())) {
            for (String name : source.tensors().keySet()) {
                writer.write(name, source.readBytes(name));
            }
            writer.commit();
        }
        assertEquals(-1, Files.mismatch(weights(fixture), copy));
    }

    @ParameterizedTest
    @ValueSource(strings = {PeftFixtures.DISTILBERT, PeftFixtures.GPT2})
    void configWrittenBackIsByteIdentical(String fixture, @TempDir Path dir) {
        Path original = PeftFixtures.adapter(fixture).resolve(PeftConfigFile.FILE_NAME);
        Path copy = dir.resolve(PeftConfigFile.FILE_NAME);
        PeftConfigFile.write(PeftConfigFile.read(original), copy);
        assertEquals(readString(original), readString(copy));
    }

    private static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
