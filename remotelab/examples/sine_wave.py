# Put a 500 Hz sine on W1 (wired to CH1) and plot a few periods of it.
frequency = set_sine1(500)
print(f"W1 now outputs {frequency:.1f} Hz")
times, volts = capture1("CH1", 400, 10)  # 400 samples 10 µs apart
plot([t / 1000 for t in times], volts, xlabel="Time (ms)", ylabel="Voltage (V)")
print(f"Peak to peak: {max(volts) - min(volts):.2f} V")
