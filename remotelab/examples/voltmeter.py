# A voltmeter: one button per input; each click reads its voltage.
print_("Click a button to read the voltage on that input.")
for channel in ["CH1", "CH2", "CH3", "VOL"]:
    button(f"Read {channel}", f"get_voltage('{channel}')")
