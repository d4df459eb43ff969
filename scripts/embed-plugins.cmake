# Writes OUT, a C file holding the bundled plugins (SRC/plugins/*.lua) as
# byte arrays for lua/plugin.c (plg_bundled_list): they are compiled into
# the binary, so the build tree and an installed galley load the same
# ones. Run by CMake at build time (cmake -DSRC=... -DOUT=... -P this).
file(GLOB files "${SRC}/plugins/*.lua")
list(SORT files)
set(body "/* Generated from plugins/NAME.lua by scripts/embed-plugins.cmake: do not edit. */\n#include \"lua/plugin_int.h\"\n\n")
set(rows "")
set(i 0)
foreach(f ${files})
	get_filename_component(name ${f} NAME_WE)
	file(READ ${f} hex HEX)
	string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
	string(APPEND body "static const unsigned char plg_src_${i}[] = {\n${hex} 0 };\n")
	string(APPEND rows "\t{ \"${name}\", (const char *)plg_src_${i}, sizeof plg_src_${i} - 1 },\n")
	math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct plg_bundled plg_bundled_list[] = {\n${rows}\t{ NULL, NULL, 0 },\n};\nconst size_t plg_bundled_count = ${i};\n")
file(WRITE "${OUT}" "${body}")
