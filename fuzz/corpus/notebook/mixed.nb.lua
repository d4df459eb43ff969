no markers
here


