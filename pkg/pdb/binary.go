package pdb

import "encoding/binary"

var le = binary.LittleEndian
