package dev.osprey.bench.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One part of the system under test in a process of its own: its output goes to a log file, its CPU
 * time is read from {@code /proc/<pid>/stat}, and it is killed when closed; {@link #killAll} (the
 * bench's shutdown hook) destroys every child still alive.
 */
final class ChildProcess implements AutoCloseable {

    /** Linux reports task times in clock ticks of 1/100 s on every platform Java runs on here. */
    private static final double TICK_SECONDS = 0.01;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();


    private final String name;
    private final Process process;
    private final Path log;
    private final long startNanos;

    private ChildProcess(String name, Process process, Path log, long startNanos) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.startNanos = startNanos;
    }

    /** Starts {@code command}; standard output and error both go to {@code log}. */
    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // As ./osprey does: libtorch's idle OpenMP threads otherwise spin and starve Kafka.
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        // The Python loop's matrix products go to OpenBLAS (Debian's PyTorch is built against the
        // generic BLAS interface): one thread, as its torch.set_num_threads(1) intends.
        pb.environment().putIfAbsent("OPENBLAS_NUM_THREADS", "1");
        long start = System.nanoTime();
        Process p = pb.start();
        LIVE.add(p);
        return new ChildProcess(name, p, log, start);
    }

    /** Destroys every child not closed yet: forcibly where it does not stop within 10 s. */
    static void killAll() {
        LIVE.forEach(ChildProcess::kill);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    /** {@link System#nanoTime} when the process was launched. */
    long startNanos() {
        return startNanos;
    }

    /** Throws with the end of the log when the process has exited. */
    void check() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "; its log ends:\n"
                    + logTail(30));
        }
    }

    /** utime + stime of the process in seconds (its threads, not its children); -1 once it is gone. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"),
                    StandardCharsets.US_ASCII);
            // Fields 14 and 15, counted after the parenthesised name (which may hold spaces).
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_SECONDS;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The last {@code lines} lines of the process's log. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    /** Closes its standard input (the bench's own children stop on that), then destroys it. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill(process);
            }
        } catch (IOException e) {
            kill(process);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(process);
        } finally {
            LIVE.remove(process);
        }
    }

    private static void kill(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }
}
