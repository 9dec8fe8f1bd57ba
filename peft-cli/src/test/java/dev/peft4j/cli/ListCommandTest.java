package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.spi.AdapterFactory;
import dev.peft4j.testkit.PluginJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListCommandTest {

    @TempDir
    Path dir;

    @Test
    void listsTheMethodsAndBothEnginesUsableOnTheCpu() {
        CommandRunner.Result result = CommandRunner.run("list");
        assertEquals(0, result.status(), result.err());
        String out = result.out();
        assertTrue(
                Pattern.compile("(?m)^  lora +dev\\.peft4j\\.lora\\.LoraFactory$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  dora +dev\\.peft4j\\.dora\\.DoraFactory$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  pytorch +usable +PyTorch 2\\.7\\.1, devices: cpu\\(\\)$")
                        .matcher(out)
                        .find(),
                out);
        assertTrue(
                Pattern.compile("(?m)^  mxnet +usable +MXNet 1\\.9\\.\\d, devices: cpu\\(\\)$")
                        .matcher(out)
                        .find(),
                out);
        Matcher library = Pattern.compile("(?m)^  pytorch .*\n +library: (\\S+) \\(libtorch 2\\.7\\.1, extracted"
                        + " from pytorch-native-cpu\\)$")
                .matcher(out);
        assertTrue(library.find(), out);
        assertTrue(Files.isRegularFile(Path.of(library.group(1)).resolve(System.mapLibraryName("torch"))), out);
        assertTrue(
                Pattern.compile("(?m)^  mxnet .*\n +library: \\S*mxnet\\S* \\(extracted from mxnet-native-mkl\\)$")
                        .matcher(out)
                        .find(),
                out);
    }

    @Test
    void aJarInThePluginDirectoryIsListed() {
        PluginJars.build(
                dir.resolve("vera.jar"),
                AdapterFactory.class.getName(),
                Map.of("com.example.VeraFactory", PluginJars.adapterFactorySource("com.example.VeraFactory", "vera")));
        CommandRunner.Result result = CommandRunner.run("--plugins", dir.toString(), "list");
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("  vera         com.example.VeraFactory"), result.out());
        assertTrue(result.out().contains("  lora "), result.out());
    }

    @Test
    void aMissingPluginDirectoryIsAOneLineError() {
        CommandRunner.Result result =
                CommandRunner.run("--plugins", dir.resolve("missing").toString(), "list");
        assertEquals(1, result.status());
        assertTrue(result.err().startsWith("peft4j: Plugin directory "), result.err());
        assertTrue(result.err().contains("does not exist"), result.err());
    }
}
